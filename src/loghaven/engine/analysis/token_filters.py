"""Token filters: tokens → tokens, positions kept as the tokenizer gave them (a removed token
leaves its position empty, as Lucene's position increments do). The language ones (stop
words, stemmers, elision...) are in language.py; all are listed in :data:`FACTORIES`.

Where tantivy has the piece (ASCII folding) it is used one token at a time through a ``raw``
analyzer, so that the result is tantivy's own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import tantivy

from loghaven.engine.analysis import language
from loghaven.engine.analysis.tokenizers import check_gram_diff
from loghaven.engine.analysis.tokens import (
    Token,
    TokenFilter,
    per_token,
    raw_analyzer,
    setting_bool,
    setting_int,
    setting_list,
)
from loghaven.errors import IllegalArgument

_FOLD = raw_analyzer(tantivy.Filter.ascii_fold())


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    folded = _FOLD.analyze(text)
    return folded[0] if folded else text


def lowercase(spec: dict[str, Any], name: str) -> TokenFilter:
    if spec.get("language") is not None:
        raise IllegalArgument(f"not supported by Loghaven: [language] "
                              f"[{spec['language']}] of lowercase filter [{name}]")
    return per_token(str.lower)


def uppercase(spec: dict[str, Any], name: str) -> TokenFilter:
    return per_token(str.upper)


def asciifolding(spec: dict[str, Any], name: str) -> TokenFilter:
    if not setting_bool(spec, "preserve_original", False, name):
        return per_token(fold)

    def apply(tokens: list[Token]) -> list[Token]:
        out = []
        for token in tokens:
            folded = fold(token.text)
            out.append(token.with_text(folded))
            if folded != token.text:
                out.append(token)
        return out

    return apply


def trim(spec: dict[str, Any], name: str) -> TokenFilter:
    return per_token(str.strip)


def truncate(spec: dict[str, Any], name: str) -> TokenFilter:
    length = setting_int(spec, "length", 10, name)
    if length < 1:
        raise IllegalArgument(f"length parameter must be provided and must be positive "
                              f"(for filter [{name}])")
    return per_token(lambda text: text[:length])


def reverse(spec: dict[str, Any], name: str) -> TokenFilter:
    return per_token(lambda text: text[::-1])


def length(spec: dict[str, Any], name: str) -> TokenFilter:
    low = setting_int(spec, "min", 0, name)
    high = setting_int(spec, "max", 2**31 - 1, name)
    return lambda tokens: [t for t in tokens if low <= len(t.text) <= high]


def unique(spec: dict[str, Any], name: str) -> TokenFilter:
    same_position = setting_bool(spec, "only_on_same_position", False, name)

    def apply(tokens: list[Token]) -> list[Token]:
        seen: set[Any] = set()
        out = []
        for token in tokens:
            key = (token.position, token.text) if same_position else token.text
            if key not in seen:
                seen.add(key)
                out.append(token)
        return out

    return apply


# --- n-grams and shingles -------------------------------------------------------------------

def _gram_sizes(spec: dict[str, Any], name: str, default_high: int) -> tuple[int, int]:
    """An n-gram filter's sizes, with Lucene's token filters' refusals (their wording differs
    from the tokenizers')."""
    low = setting_int(spec, "min_gram", 1, name)
    high = setting_int(spec, "max_gram", default_high, name)
    if low < 1:
        raise IllegalArgument("minGram must be greater than zero")
    if low > high:
        raise IllegalArgument("minGram must not be greater than maxGram")
    return low, high


def ngram(spec: dict[str, Any], name: str, max_diff: int = 1) -> TokenFilter:
    low = setting_int(spec, "min_gram", 1, name)
    check_gram_diff(low, setting_int(spec, "max_gram", 2, name), max_diff)
    low, high = _gram_sizes(spec, name, 2)
    preserve = setting_bool(spec, "preserve_original", False, name)

    def apply(tokens: list[Token]) -> list[Token]:
        out = []
        for token in tokens:
            text = token.text
            grams = [text[i:i + size] for i in range(len(text))
                     for size in range(low, high + 1) if i + size <= len(text)]
            out.extend(token.with_text(g) for g in grams)
            if preserve and (len(text) < low or len(text) > high):
                out.append(token)
        return out

    return apply


def edge_ngram(spec: dict[str, Any], name: str, max_diff: int = 1) -> TokenFilter:
    low, high = _gram_sizes(spec, name, 2)
    side = str(spec.get("side", "front"))
    if side not in ("front", "back"):
        raise IllegalArgument(f"side must be either front or back but was [{side}]")
    preserve = setting_bool(spec, "preserve_original", False, name)

    def apply(tokens: list[Token]) -> list[Token]:
        out = []
        for token in tokens:
            text = token.text
            for size in range(low, min(high, len(text)) + 1):
                out.append(token.with_text(text[:size] if side == "front" else text[-size:]))
            if preserve and (len(text) < low or len(text) > high):
                out.append(token)
        return out

    return apply


def shingle(spec: dict[str, Any], name: str, max_diff: int = 3) -> TokenFilter:
    low = setting_int(spec, "min_shingle_size", 2, name)
    high = setting_int(spec, "max_shingle_size", 2, name)
    if low < 2 or high < low:
        raise IllegalArgument("Invalid min_shingle_size or max_shingle_size")
    if high - low > max_diff:
        raise IllegalArgument(
            f"In Shingle TokenFilter the difference between max_shingle_size and "
            f"min_shingle_size (and +1 if outputting unigrams) must be less than or equal to: "
            f"[{max_diff}] but was [{high - low}]. This limit can be set by changing the "
            f"[index.max_shingle_diff] index level setting.")
    unigrams = setting_bool(spec, "output_unigrams", True, name)
    unigrams_if_none = setting_bool(spec, "output_unigrams_if_no_shingles", False, name)
    separator = str(spec.get("token_separator", " "))
    filler = str(spec.get("filler_token", "_"))

    def apply(tokens: list[Token]) -> list[Token]:
        if any(t.position_length != 1 for t in tokens) or \
                len({t.position for t in tokens}) != len(tokens):
            raise IllegalArgument(f"not supported by Loghaven: shingle filter [{name}] after "
                                  f"a filter that stacks tokens at one position")
        if not tokens:
            return tokens
        # a stop word's empty position is filled with the filler token, as Lucene does
        by_position = {t.position: t for t in tokens}
        first, last = tokens[0].position, tokens[-1].position
        slots = [by_position.get(p) for p in range(first, last + 1)]
        out: list[Token] = []
        for i, token in enumerate(slots):
            if token is None:
                continue
            if unigrams:
                out.append(token)
            for size in range(low, high + 1):
                window = slots[i:i + size]
                if len(window) < size or window[-1] is None:
                    continue
                text = separator.join(t.text if t is not None else filler for t in window)
                shingle_token = Token(text, token.start, window[-1].end, token.position,
                                      "shingle", size)
                out.append(shingle_token)
        if not unigrams and not any(t.type == "shingle" for t in out) and unigrams_if_none:
            return tokens
        return out

    return apply


# --- small per-token and per-stream filters ------------------------------------------------

def pattern_replace(spec: dict[str, Any], name: str) -> TokenFilter:
    from loghaven.engine.analysis.char_filters import (
        compile_java_regex,
        java_flags,
        java_replacement,
    )
    if "pattern" not in spec:
        raise IllegalArgument("pattern is missing for [" + name + "] token filter of type "
                              "'pattern_replace'")
    pattern = compile_java_regex(str(spec["pattern"]),
                                 java_flags(str(spec.get("flags", "")), name), name)
    replace = java_replacement(str(spec.get("replacement", "")))
    replace_all = setting_bool(spec, "all", True, name)
    return per_token(lambda text: pattern.sub(replace, text, count=0 if replace_all else 1))


def keep(spec: dict[str, Any], name: str) -> TokenFilter:
    if "keep_words_path" in spec:
        raise IllegalArgument(f"not supported by Loghaven: [keep_words_path] of filter "
                              f"[{name}]")
    words = setting_list(spec, "keep_words")
    if words is None:
        raise IllegalArgument("keep requires either `keep_words` or `keep_words_path` to be "
                              "configured")
    if setting_bool(spec, "keep_words_case", False, name):
        table = {w.lower() for w in words}
        return lambda tokens: [t for t in tokens if t.text.lower() in table]
    exact = set(words)
    return lambda tokens: [t for t in tokens if t.text in exact]


def keep_types(spec: dict[str, Any], name: str) -> TokenFilter:
    types = set(setting_list(spec, "types") or [])
    if not types:
        raise IllegalArgument("keep_types requires `types` to be configured")
    mode = str(spec.get("mode", "include"))
    if mode not in ("include", "exclude"):
        raise IllegalArgument("`keep_types` tokenfilter mode can only be [include] or "
                              "[exclude] but was [" + mode + "].")
    if mode == "include":
        return lambda tokens: [t for t in tokens if t.type in types]
    return lambda tokens: [t for t in tokens if t.type not in types]


def limit(spec: dict[str, Any], name: str) -> TokenFilter:
    count = setting_int(spec, "max_token_count", 1, name)
    return lambda tokens: tokens[:count]


def decimal_digit(spec: dict[str, Any], name: str) -> TokenFilter:
    import unicodedata

    def fold(text: str) -> str:
        return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c
                       for c in text)
    return per_token(fold)


def fingerprint(spec: dict[str, Any], name: str) -> TokenFilter:
    separator = str(spec.get("separator", " "))
    max_size = setting_int(spec, "max_output_size", 255, name)

    def apply(tokens: list[Token]) -> list[Token]:
        if not tokens:
            return tokens
        text = separator.join(sorted({t.text for t in tokens}))
        if len(text) > max_size:
            return []
        token = Token(text, tokens[0].start, tokens[-1].end, 0, "fingerprint")
        return [token]

    return apply


FACTORIES: dict[str, Callable[..., TokenFilter]] = {
    "lowercase": lowercase, "uppercase": uppercase, "asciifolding": asciifolding,
    "trim": trim, "truncate": truncate, "reverse": reverse, "length": length,
    "unique": unique, "ngram": ngram, "edge_ngram": edge_ngram, "shingle": shingle,
    "pattern_replace": pattern_replace, "keep": keep, "keep_types": keep_types,
    "limit": limit, "decimal_digit": decimal_digit, "fingerprint": fingerprint,
    "stop": language.stop, "stemmer": language.stemmer, "porter_stem": language.porter_stem,
    "snowball": language.snowball, "keyword_marker": language.keyword_marker,
    "elision": language.elision, "apostrophe": language.apostrophe,
    "stemmer_override": language.stemmer_override, "keyword_repeat": language.keyword_repeat,
    "remove_duplicates": language.remove_duplicates,
}
ALIASES = {"nGram": "ngram", "edgeNGram": "edge_ngram"}
#: Filters a normalizer may use: one token in, one token out.
NORMALIZER_SAFE = {"lowercase", "uppercase", "asciifolding", "trim", "pattern_replace",
                   "elision", "decimal_digit"}
#: Filters that need the index's ``index.max_ngram_diff`` / ``index.max_shingle_diff``.
NGRAM_LIKE = {"ngram", "edge_ngram"}
#: Known to ES, not built here: refused by name rather than approximated.
UNSUPPORTED = {"word_delimiter", "word_delimiter_graph", "kstem", "hunspell", "pattern_capture",
               "phonetic", "cjk_width", "cjk_bigram", "delimited_payload",
               "dictionary_decompounder", "hyphenation_decompounder", "flatten_graph",
               "min_hash", "multiplexer", "condition", "predicate_token_filter", "classic",
               "common_grams", "german_normalization", "scandinavian_folding",
               "scandinavian_normalization", "serbian_normalization", "arabic_normalization",
               "persian_normalization", "hindi_normalization", "indic_normalization",
               "bengali_normalization", "sorani_normalization", "icu_folding",
               "icu_normalizer", "icu_transform", "icu_collation"}
