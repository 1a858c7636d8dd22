"""Word segmentation for text fields: Elasticsearch ``standard`` tokens at tantivy's ``simple`` speed.

ES's standard tokenizer keeps ``example.com``, ``192.168.1.1``, ``don't``, ``1,000``,
``x86_64`` and ``a:b`` whole. tantivy's regex tokenizer can do that, but in the build we
ship it costs about 40 µs per log document (a fresh PikeVM cache per value), a third of
the engine's indexing work. tantivy's ``simple`` tokenizer is cheap but splits on every
non-alphanumeric character.

So a text value is put into *index form* before tantivy sees it: each joiner that sits
inside a word (``.``, ``'`` and the right single quote between word characters, ``,`` before a digit, ``:``
before a letter, and every ``_``) is swapped for a letter that never occurs in logs, which
``simple`` keeps inside the token. The swap is one code point for one, so character
offsets stay those of the original text. Queries build their terms with the same
function, and everything shown to a user is turned back with :func:`display_form`.
See docs/decisions/0003-word-joiners.md.
"""

from __future__ import annotations

import re

import tantivy

#: Joiner → the letter that stands for it inside an indexed term. These are Latin letters
#: for clicks and the kra (caseless, so lowercasing keeps them) that log text never has.
MARKERS = {".": "\u01c0", "'": "\u01c1", "\u2019": "\u01c2", ",": "\u01c3", ":": "\u0138",
           "_": "\u01be"}

_TO_INDEX = str.maketrans(MARKERS)
_FROM_INDEX = str.maketrans({marker: joiner for joiner, marker in MARKERS.items()})

# Each pattern starts with its literal so that re scans for it at C speed; the context
# (a word character before, the right kind after) is checked only where the joiner is.
_DOT = re.compile(r"\.(?<=\w\.)(?=\w)")
_APOSTROPHE = re.compile(r"(['\u2019])(?<=\w['\u2019])(?=\w)")
_COMMA = re.compile(r",(?<=\w,)(?=\d)")
_COLON = re.compile(r":(?<=\w:)(?=[^\W\d_])")
_WORD = re.compile(r"\w+")


#: Index forms of recent short values: log documents repeat most of theirs (header names,
#: methods, rule ids), and a dynamic mapping indexes each string as text (WAF: 26 values a
#: document, 37 µs to prepare one, 8 of them here). Cleared when full, which bounds it.
_RECENT: dict[str, str] = {}
_RECENT_MAX = 20_000
_RECENT_LENGTH = 256


def index_form(text: str) -> str:
    """``text`` with its in-word joiners replaced by marker letters."""
    form = _RECENT.get(text)
    if form is None:
        form = _index_form(text)
        if len(text) <= _RECENT_LENGTH:
            if len(_RECENT) >= _RECENT_MAX:
                _RECENT.clear()
            _RECENT[text] = form
    return form


def _index_form(text: str) -> str:
    if "." in text:
        text = _DOT.sub(MARKERS["."], text)
    if "'" in text or "\u2019" in text:
        text = _APOSTROPHE.sub(lambda m: MARKERS[m.group(1)], text)
    if "," in text:
        text = _COMMA.sub(MARKERS[","], text)
    if ":" in text:
        text = _COLON.sub(MARKERS[":"], text)
    if "_" in text:
        text = text.replace("_", MARKERS["_"])
    return text


def term_form(token: str) -> str:
    """A single token as a term-level query gives it (``example.com``) → its indexed term."""
    return token.translate(_TO_INDEX)


def display_form(term: str) -> str:
    """An indexed term → the token as the user wrote it."""
    return term.translate(_FROM_INDEX)


def analyzer() -> tantivy.TextAnalyzer:
    """The tantivy analyzer text fields index their index-form values with."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.remove_long(255))
            .build())


_ANALYZER = analyzer()


def terms(text: str) -> list[str]:
    """The indexed terms of ``text``, in order: what a full-text query looks up."""
    return _ANALYZER.analyze(index_form(text))


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the user reads them (lowercased), in order."""
    return [display_form(term) for term in terms(text)]


def spans(text: str) -> list[tuple[int, int]]:
    """Where each word of ``text`` starts and ends (character offsets)."""
    return [match.span() for match in _WORD.finditer(index_form(text))]
