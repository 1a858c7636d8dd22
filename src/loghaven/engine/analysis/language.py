"""Language token filters: stop words, stemmers and what goes with them (possessives,
elision, apostrophes, keyword markers and overrides that protect words from stemming).

Stop lists and Snowball stemmers are tantivy's, called one token at a time; ``english`` and
``porter_stem`` are Lucene's Porter stemmer (porter.py), which tantivy does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

import tantivy

from loghaven.engine.analysis.tokens import (
    Token,
    TokenFilter,
    per_token,
    raw_analyzer,
    setting_bool,
    setting_list,
)
from loghaven.errors import IllegalArgument

# --- stop words -----------------------------------------------------------------------------

#: ES's ``_english_`` list (Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET).
ENGLISH_STOP_WORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with"])
#: ``_lang_`` lists tantivy ships (Snowball's lists, which Lucene's analyzers use too).
TANTIVY_STOP_LANGUAGES = {"danish", "dutch", "finnish", "french", "german", "hungarian",
                          "italian", "norwegian", "portuguese", "russian", "spanish", "swedish"}


@cache
def _language_stop(language: str) -> tantivy.TextAnalyzer:
    return raw_analyzer(tantivy.Filter.stopword(language))


def stop_test(stopwords: Any, ignore_case: bool, where: str) -> Callable[[str], bool]:
    """Whether a term is a stop word of ``stopwords`` (a ``_lang_`` name or a list)."""
    if isinstance(stopwords, list) and len(stopwords) == 1 and stopwords[0].startswith("_"):
        stopwords = stopwords[0]
    if isinstance(stopwords, list):
        table = frozenset(w.lower() for w in stopwords) if ignore_case else frozenset(stopwords)
        if ignore_case:
            return lambda text: text.lower() in table
        return table.__contains__
    name = str(stopwords)
    if name == "_none_":
        return lambda text: False
    if name == "_english_":
        if ignore_case:
            return lambda text: text.lower() in ENGLISH_STOP_WORDS
        return ENGLISH_STOP_WORDS.__contains__
    language = name.strip("_")
    if name.startswith("_") and language in TANTIVY_STOP_LANGUAGES:
        analyzer = _language_stop(language)
        if ignore_case:
            return lambda text: not analyzer.analyze(text.lower())
        return lambda text: not analyzer.analyze(text)
    if name.startswith("_") and name.endswith("_"):
        raise IllegalArgument(f"not supported by Loghaven: stop word list [{name}] of [{where}] "
                              f"(supported: _english_, _none_, "
                              f"{', '.join('_' + x + '_' for x in sorted(TANTIVY_STOP_LANGUAGES))})")
    # a single word given as a string
    return stop_test([name], ignore_case, where)


def stop(spec: dict[str, Any], name: str) -> TokenFilter:
    if "stopwords_path" in spec:
        raise IllegalArgument(f"not supported by Loghaven: [stopwords_path] of filter [{name}] "
                              f"(give the words inline in [stopwords])")
    words = spec.get("stopwords", "_english_")
    is_stop = stop_test(words, setting_bool(spec, "ignore_case", False, name), name)
    keep_trailing = not setting_bool(spec, "remove_trailing", True, name)

    def apply(tokens: list[Token]) -> list[Token]:
        if keep_trailing and tokens:
            last = tokens[-1]
            return [t for t in tokens[:-1] if not is_stop(t.text)] + [last]
        return [t for t in tokens if not is_stop(t.text)]

    return apply


# --- stemmers -------------------------------------------------------------------------------

#: ES ``stemmer`` language names whose Lucene implementation is the Snowball stemmer tantivy
#: has (``SnowballFilter`` in ES's StemmerTokenFilterFactory) → tantivy's language name.
SNOWBALL_STEMMERS = {
    "porter2": "english", "danish": "danish", "dutch": "dutch", "finnish": "finnish",
    "french": "french", "german": "german", "hungarian": "hungarian", "italian": "italian",
    "norwegian": "norwegian", "portuguese": "portuguese", "romanian": "romanian",
    "russian": "russian", "spanish": "spanish", "swedish": "swedish", "turkish": "turkish",
    "german2": "german",
}
#: The ``snowball`` filter's ``language`` values tantivy has.
SNOWBALL_LANGUAGES = {"English": "english", "Danish": "danish", "Dutch": "dutch",
                      "Finnish": "finnish", "French": "french", "German": "german",
                      "Hungarian": "hungarian", "Italian": "italian", "Norwegian": "norwegian",
                      "Portuguese": "portuguese", "Romanian": "romanian", "Russian": "russian",
                      "Spanish": "spanish", "Swedish": "swedish", "Turkish": "turkish"}


@cache
def _snowball(language: str) -> Callable[[str], str]:
    analyzer = raw_analyzer(tantivy.Filter.stemmer(language))

    @lru_cache(maxsize=65536)
    def stem(text: str) -> str:
        result = analyzer.analyze(text)
        return result[0] if result else text

    return stem


def _stemming(stem: Callable[[str], str]) -> TokenFilter:
    def apply(tokens: list[Token]) -> list[Token]:
        for token in tokens:
            if not token.keyword:
                token.text = stem(token.text)
        return tokens
    return apply


def stemmer(spec: dict[str, Any], name: str) -> TokenFilter:
    # ES compares the language ignoring case, and defaults to porter
    language = str(spec.get("language", spec.get("name", "porter"))).lower()
    if language in ("english", "porter"):
        from loghaven.engine.analysis.porter import stem as porter
        return _stemming(porter)
    if language == "possessive_english":
        return possessive_english(spec, name)
    tantivy_name = SNOWBALL_STEMMERS.get(language)
    if tantivy_name is None:
        raise IllegalArgument(
            f"not supported by Loghaven: stemmer language [{language}] of filter [{name}] "
            f"(supported: english, porter, possessive_english, "
            f"{', '.join(sorted(SNOWBALL_STEMMERS))})")
    return _stemming(_snowball(tantivy_name))


def porter_stem(spec: dict[str, Any], name: str) -> TokenFilter:
    from loghaven.engine.analysis.porter import stem as porter
    return _stemming(porter)


def snowball(spec: dict[str, Any], name: str) -> TokenFilter:
    language = str(spec.get("language", "English"))
    tantivy_name = SNOWBALL_LANGUAGES.get(language)
    if tantivy_name is None:
        raise IllegalArgument(f"not supported by Loghaven: snowball language [{language}] of "
                              f"filter [{name}] (supported: {', '.join(SNOWBALL_LANGUAGES)})")
    return _stemming(_snowball(tantivy_name))


def possessive_english(spec: dict[str, Any], name: str) -> TokenFilter:
    def strip(text: str) -> str:
        if len(text) >= 2 and text[-1] in "sS" and text[-2] in "'\u2019\uff07":
            return text[:-2]
        return text
    return per_token(strip)


def keyword_repeat(spec: dict[str, Any], name: str) -> TokenFilter:
    """Each token twice at its position: first a keyword-marked copy (stemmers leave it as
    it is), then the token itself; ``remove_duplicates`` drops the pairs stemming left equal."""
    def apply(tokens: list[Token]) -> list[Token]:
        out = []
        for token in tokens:
            kept = token.with_text(token.text)
            kept.keyword = True
            out.append(kept)
            out.append(token)
        return out
    return apply


def remove_duplicates(spec: dict[str, Any], name: str) -> TokenFilter:
    def apply(tokens: list[Token]) -> list[Token]:
        seen: set[tuple[int, str]] = set()
        out = []
        for token in tokens:
            key = (token.position, token.text)
            if key not in seen:
                seen.add(key)
                out.append(token)
        return out
    return apply


def keyword_marker(spec: dict[str, Any], name: str) -> TokenFilter:
    if "keywords_path" in spec or "keywords_pattern" in spec:
        raise IllegalArgument(f"not supported by Loghaven: keywords_path/keywords_pattern of "
                              f"filter [{name}]")
    ignore_case = setting_bool(spec, "ignore_case", False, name)
    keywords = {w.lower() if ignore_case else w for w in setting_list(spec, "keywords") or []}

    def apply(tokens: list[Token]) -> list[Token]:
        for token in tokens:
            if (token.text.lower() if ignore_case else token.text) in keywords:
                token.keyword = True
        return tokens

    return apply


DEFAULT_ARTICLES = ["l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu",
                    "puisqu"]


def elision(spec: dict[str, Any], name: str) -> TokenFilter:
    if "articles_path" in spec:
        raise IllegalArgument(f"not supported by Loghaven: [articles_path] of filter [{name}]")
    ignore_case = setting_bool(spec, "articles_case", False, name)
    articles = setting_list(spec, "articles") or DEFAULT_ARTICLES
    table = {a.lower() for a in articles} if ignore_case else set(articles)

    def strip(text: str) -> str:
        for index, char in enumerate(text):
            if char in "'\u2019":
                head = text[:index]
                if (head.lower() if ignore_case else head) in table:
                    return text[index + 1:]
                break
        return text

    return per_token(strip)


def apostrophe(spec: dict[str, Any], name: str) -> TokenFilter:
    def strip(text: str) -> str:
        for index, char in enumerate(text):
            if char in "'\u2019":
                return text[:index]
        return text
    return per_token(strip)


def stemmer_override(spec: dict[str, Any], name: str) -> TokenFilter:
    if "rules_path" in spec:
        raise IllegalArgument(f"not supported by Loghaven: [rules_path] of filter [{name}]")
    table: dict[str, str] = {}
    for rule in setting_list(spec, "rules") or []:
        sides = rule.split("=>")
        if len(sides) != 2 or not sides[1].strip():
            raise IllegalArgument(f"Invalid Keyword override Rule:{rule}")
        for word in sides[0].split(","):
            if word.strip():
                table.setdefault(word.strip(), sides[1].strip())

    def apply(tokens: list[Token]) -> list[Token]:
        for token in tokens:
            if not token.keyword and token.text in table:
                token.text = table[token.text]
                token.keyword = True
        return tokens

    return apply
