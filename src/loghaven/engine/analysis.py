"""Text analysis as the ``_analyze`` API shows it: tokens with offsets, types and positions.

The analyzers are the tantivy ones the engine indexes with (``schema.ANALYZERS``) or chains
built from the same tokenizers and tantivy's filters, so what ``_analyze`` prints is what a
text field really indexes. Offsets are in UTF-16 code units, as Elasticsearch counts them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import tantivy

from loghaven.engine import words
from loghaven.engine.schema import ANALYZERS
from loghaven.errors import IllegalArgument

#: ES tokenizer name → a factory of the tantivy tokenizer that behaves like it.
TOKENIZERS = {
    "standard": tantivy.Tokenizer.simple,  # over words.index_form text, see analyze()
    "whitespace": tantivy.Tokenizer.whitespace,
    "keyword": tantivy.Tokenizer.raw,
    "letter": lambda: tantivy.Tokenizer.regex(r"\p{L}+"),
}

#: The tokenizer behind each built-in analyzer, which decides the token types it reports.
ANALYZER_TOKENIZERS = {"standard": "standard", "simple": "letter", "whitespace": "whitespace",
                       "keyword": "keyword"}

#: Filters a normalizer (a ``filter`` list without tokenizer) may use: one token in, one out.
NORMALIZER_FILTERS = {"lowercase", "asciifolding"}

#: ES inserts this position gap between the values of a text field's array.
FIELD_POSITION_GAP = 100

_NUMBER = re.compile(r"^\d+(?:[.,']\d+)*$")
_IDEOGRAPHIC = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


@dataclass(frozen=True)
class AnalyzeToken:
    token: str
    start_offset: int
    end_offset: int
    type: str
    position: int

    def to_json(self, explain: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"token": self.token, "start_offset": self.start_offset,
                                "end_offset": self.end_offset, "type": self.type,
                                "position": self.position}
        if explain:
            body["bytes"] = "[" + " ".join(f"{b:02x}" for b in self.token.encode()) + "]"
            body["positionLength"] = 1
            body["termFrequency"] = 1
        return body


@dataclass(frozen=True)
class Chain:
    """A tokenizer and its token filters, each filter a name and its settings."""

    tokenizer: str
    filters: tuple[tuple[str, dict[str, Any]], ...] = ()

    def build(self, filter_count: int | None = None) -> tantivy.TextAnalyzer:
        builder = tantivy.TextAnalyzerBuilder(TOKENIZERS[self.tokenizer]())
        for name, spec in self.filters[:filter_count]:
            builder = builder.filter(_filter(name, spec))
        return builder.build()


def _filter(name: str, spec: dict[str, Any]) -> tantivy.Filter:
    if name == "lowercase":
        return tantivy.Filter.lowercase()
    if name == "asciifolding":
        return tantivy.Filter.ascii_fold()
    if name == "stop":
        words = spec.get("stopwords", "_english_")
        if isinstance(words, list):
            return tantivy.Filter.custom_stopword([str(w) for w in words])
        return tantivy.Filter.stopword(str(words).strip("_"))
    if name in ("stemmer", "porter_stem", "snowball"):
        return tantivy.Filter.stemmer(str(spec.get("language", "english")).lower())
    if name == "length" and "max" in spec:
        return tantivy.Filter.remove_long(int(spec["max"]) + 1)
    raise IllegalArgument(f"failed to find global filter under [{name}]")


def chain_from_request(tokenizer: Any, filters: Iterable[Any]) -> Chain:
    """The chain of an ``_analyze`` body's ``tokenizer`` and ``filter`` (names or objects)."""
    parsed = []
    for item in filters:
        spec = item if isinstance(item, dict) else {"type": item}
        name = spec.get("type", "")
        if not isinstance(name, str):
            raise IllegalArgument(f"failed to find global token filter under [{name}]")
        _filter(name, spec)  # validates the name and its settings now, before any analysis
        parsed.append((name, spec))
    if tokenizer is None:
        bad = [name for name, _ in parsed if name not in NORMALIZER_FILTERS]
        if bad:
            raise IllegalArgument(f"Custom normalizer may not use filter [{bad[0]}]")
        tokenizer = "keyword"
    name = tokenizer.get("type") if isinstance(tokenizer, dict) else tokenizer
    if not isinstance(name, str) or name not in TOKENIZERS:
        raise IllegalArgument(f"failed to find global tokenizer under [{name}]")
    return Chain(str(name), tuple(parsed))


def named_analyzer(name: str) -> tantivy.TextAnalyzer:
    analyzer = ANALYZERS.get(name)
    if analyzer is None:
        raise IllegalArgument(f"failed to find global analyzer [{name}]")
    return analyzer


def analyze(analyzer: tantivy.TextAnalyzer, tokenizer: str, texts: list[str],
            position_gap: int = 0) -> list[AnalyzeToken]:
    """Tokens of each text, positions and offsets continuing across texts as ES counts them.

    The ``standard`` tokenizer reads the text in :func:`words.index_form`, as text fields
    are indexed, and shows each token as written (index form keeps character offsets).
    """
    standard = tokenizer == "standard"
    tokens: list[AnalyzeToken] = []
    last_position = -1
    last_offset = 0
    for text in texts:
        utf16 = _utf16_offsets(text)
        base_position = last_position + 1
        for token in analyzer.pre_tokenize(words.index_form(text) if standard else text).tokens:
            last_position = base_position + token.position
            term = words.display_form(token.text) if standard else token.text
            tokens.append(AnalyzeToken(
                term, last_offset + utf16(token.char_offset_from),
                last_offset + utf16(token.char_offset_to), _token_type(tokenizer, term),
                last_position))
        last_offset += utf16(len(text)) + 1
        last_position = max(last_position, base_position - 1) + position_gap
    return tokens


def _token_type(tokenizer: str, text: str) -> str:
    if tokenizer != "standard":
        return "word"
    if _NUMBER.match(text):
        return "<NUM>"
    if _IDEOGRAPHIC.match(text):
        return "<IDEOGRAPHIC>"
    return "<ALPHANUM>"


def _utf16_offsets(text: str) -> Any:
    """Code point offset → UTF-16 offset (identity unless the text has astral characters)."""
    if all(ord(c) < 0x10000 for c in text):
        return lambda offset: offset
    prefix = [0]
    for char in text:
        prefix.append(prefix[-1] + (2 if ord(char) >= 0x10000 else 1))
    return lambda offset: prefix[offset]
