"""Tokenizers: text → tokens with positions from 0 and character offsets into that text.

``standard`` is the engine's own word segmentation (engine/words.py, tantivy's ``simple``
tokenizer over the index form); the others are small and run in Python with the ``regex``
module, whose ``\\p{L}`` classes are Java's ``Character.isLetter`` and friends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import regex
import tantivy

from loghaven.engine import words
from loghaven.engine.analysis.char_filters import compile_java_regex, java_flags
from loghaven.engine.analysis.tokens import Token, setting_bool, setting_int, setting_list
from loghaven.errors import IllegalArgument

Tokenizer = Callable[[str], list[Token]]

_SIMPLE = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
_NUMBER = re.compile(r"^\d+(?:[.,']\d+)*$")
_IDEOGRAPHIC = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def standard_type(text: str) -> str:
    if _NUMBER.match(text):
        return "<NUM>"
    if _IDEOGRAPHIC.match(text):
        return "<IDEOGRAPHIC>"
    return "<ALPHANUM>"


def _split_long(tokens: list[Token], limit: int) -> list[Token]:
    """Tokens longer than ``limit`` cut into pieces of ``limit`` (Lucene's tokenizers do)."""
    if all(len(t.text) <= limit for t in tokens):
        return tokens
    out: list[Token] = []
    for token in tokens:
        for cut in range(0, len(token.text), limit):
            piece = token.text[cut:cut + limit]
            out.append(Token(piece, token.start + cut, token.start + cut + len(piece), 0,
                             token.type))
    for position, token in enumerate(out):
        token.position = position
    return out


def standard(spec: dict[str, Any], name: str) -> Tokenizer:
    limit = setting_int(spec, "max_token_length", 255, name)
    if limit > 1024 * 1024:
        raise IllegalArgument(f"maxTokenLength must be greater than 0 and less than 1048576 "
                              f"passed: {limit}")

    def tokenize(text: str) -> list[Token]:
        tokens = []
        for position, tok in enumerate(_SIMPLE.pre_tokenize(words.index_form(text)).tokens):
            term = words.display_form(tok.text)
            tokens.append(Token(term, tok.char_offset_from, tok.char_offset_to, position,
                                standard_type(term)))
        return _split_long(tokens, limit)

    return tokenize


def _runs(pattern: Any, limit: int) -> Tokenizer:
    def tokenize(text: str) -> list[Token]:
        return _split_long([Token(m.group(), m.start(), m.end(), i)
                            for i, m in enumerate(pattern.finditer(text))], limit)
    return tokenize


def whitespace(spec: dict[str, Any], name: str) -> Tokenizer:
    return _runs(regex.compile(r"[^\s\p{Z}]+"), setting_int(spec, "max_token_length", 255, name))


def letter(spec: dict[str, Any], name: str) -> Tokenizer:
    return _runs(regex.compile(r"\p{L}+"), 255)


def lowercase(spec: dict[str, Any], name: str) -> Tokenizer:
    runs = _runs(regex.compile(r"\p{L}+"), 255)

    def tokenize(text: str) -> list[Token]:
        tokens = runs(text)
        for token in tokens:
            token.text = token.text.lower()
        return tokens

    return tokenize


def keyword(spec: dict[str, Any], name: str) -> Tokenizer:
    def tokenize(text: str) -> list[Token]:
        return [Token(text, 0, len(text), 0)] if text else []
    return tokenize


def pattern(spec: dict[str, Any], name: str) -> Tokenizer:
    compiled = compile_java_regex(str(spec.get("pattern", r"\W+")),
                                  java_flags(str(spec.get("flags", "")), name), name)
    group = setting_int(spec, "group", -1, name)

    def tokenize(text: str) -> list[Token]:
        tokens: list[Token] = []
        if group >= 0:
            for match in compiled.finditer(text):
                if match.group(group):
                    tokens.append(Token(match.group(group), match.start(group),
                                        match.end(group), len(tokens)))
            return tokens
        cursor = 0
        for match in compiled.finditer(text):
            if match.start() > cursor:
                tokens.append(Token(text[cursor:match.start()], cursor, match.start(),
                                    len(tokens)))
            cursor = match.end()
        if cursor < len(text):
            tokens.append(Token(text[cursor:], cursor, len(text), len(tokens)))
        return tokens

    return tokenize


def simple_pattern(spec: dict[str, Any], name: str) -> Tokenizer:
    compiled = compile_java_regex(str(spec.get("pattern", "")), 0, name)

    def tokenize(text: str) -> list[Token]:
        return [Token(m.group(), m.start(), m.end(), i)
                for i, m in enumerate(m for m in compiled.finditer(text) if m.group())]

    return tokenize


def simple_pattern_split(spec: dict[str, Any], name: str) -> Tokenizer:
    return pattern({"pattern": spec.get("pattern", "")}, name)


#: ``token_chars`` classes of the n-gram tokenizers, as Java's Character types.
_TOKEN_CHARS = {
    "letter": r"\p{L}", "digit": r"\p{Nd}", "whitespace": r"\s",
    "punctuation": r"\p{P}", "symbol": r"\p{S}",
}


def _token_char_runs(spec: dict[str, Any], name: str) -> Callable[[str], list[tuple[int, int]]]:
    classes = setting_list(spec, "token_chars") or []
    parts = []
    for cls in classes:
        if cls == "custom":
            custom = str(spec.get("custom_token_chars", ""))
            parts.append("".join(regex.escape(c) for c in custom))
        elif cls in _TOKEN_CHARS:
            parts.append(_TOKEN_CHARS[cls])
        else:
            raise IllegalArgument(f"Unknown token type: '{cls}', must be one of [symbol, "
                                  f"private_use, paragraph_separator, start_punctuation, "
                                  f"unassigned, enclosing_mark, connector_punctuation, "
                                  f"letter_number, other_number, math_symbol, "
                                  f"lowercase_letter, space_separator, surrogate, "
                                  f"initial_quote_punctuation, decimal_digit_number, digit, "
                                  f"other_punctuation, dash_punctuation, currency_symbol, "
                                  f"non_spacing_mark, format, modifier_letter, control, "
                                  f"uppercase_letter, other_symbol, end_punctuation, "
                                  f"modifier_symbol, other_letter, line_separator, "
                                  f"titlecase_letter, letter, punctuation, combining_mark, "
                                  f"final_quote_punctuation, whitespace, other]")
    if not parts:
        return lambda text: [(0, len(text))] if text else []
    run = regex.compile("[" + "".join(parts) + "]+")
    return lambda text: [m.span() for m in run.finditer(text)]


def check_gram_diff(low: int, high: int, max_diff: int) -> None:
    """``index.max_ngram_diff``, which ES checks for the ngram tokenizer and token filter
    alike (and names the tokenizer in both messages)."""
    if high - low > max_diff:
        raise IllegalArgument(
            f"The difference between max_gram and min_gram in NGram Tokenizer must be less "
            f"than or equal to: [{max_diff}] but was [{high - low}]. This limit can be set by "
            f"changing the [index.max_ngram_diff] index level setting.")


def gram_sizes(spec: dict[str, Any], name: str, max_diff: int, kind: str) -> tuple[int, int]:
    low = setting_int(spec, "min_gram", 1, name)
    high = setting_int(spec, "max_gram", 2, name)
    if kind == "NGram":
        check_gram_diff(low, high, max_diff)
    if low < 1 or high < low:
        raise IllegalArgument("minGram must be greater than zero and maxGram must be greater "
                              "than or equal to minGram")
    return low, high


def ngram(spec: dict[str, Any], name: str, max_diff: int = 1) -> Tokenizer:
    low, high = gram_sizes(spec, name, max_diff, "NGram")
    runs = _token_char_runs(spec, name)

    def tokenize(text: str) -> list[Token]:
        tokens: list[Token] = []
        for start, end in runs(text):
            for i in range(start, end):
                for size in range(low, high + 1):
                    if i + size > end:
                        break
                    tokens.append(Token(text[i:i + size], i, i + size, len(tokens)))
        return tokens

    return tokenize


def edge_ngram(spec: dict[str, Any], name: str, max_diff: int = 1) -> Tokenizer:
    low, high = gram_sizes(spec, name, max_diff, "EdgeNGram")
    runs = _token_char_runs(spec, name)

    def tokenize(text: str) -> list[Token]:
        tokens: list[Token] = []
        for start, end in runs(text):
            for size in range(low, min(high, end - start) + 1):
                tokens.append(Token(text[start:start + size], start, start + size, len(tokens)))
        return tokens

    return tokenize


def path_hierarchy(spec: dict[str, Any], name: str) -> Tokenizer:
    delimiter = str(spec.get("delimiter", "/"))
    replacement = str(spec.get("replacement", delimiter))
    reverse = setting_bool(spec, "reverse", False, name)
    skip = setting_int(spec, "skip", 0, name)
    if len(delimiter) != 1 or len(replacement) != 1:
        raise IllegalArgument("delimiter must be a one char value")

    def tokenize(text: str) -> list[Token]:
        if not text:
            return []
        if reverse:
            return _reverse_path(text, delimiter, replacement, skip)
        # cut points: every delimiter after the first character, then the end
        cuts = [i for i, c in enumerate(text) if c == delimiter and i > 0] + [len(text)]
        if text.endswith(delimiter) and len(text) > 1:
            cuts = cuts[:-1]
        starts = [0] + [i for i in cuts if i < len(text)]
        begin = starts[skip] if skip < len(starts) else None
        if begin is None:
            return []
        out = []
        for cut in cuts:
            if cut <= begin:
                continue
            out.append(Token(text[begin:cut].replace(delimiter, replacement), begin, cut, 0))
        return out

    return tokenize


def _reverse_path(text: str, delimiter: str, replacement: str, skip: int) -> list[Token]:
    """``reverse: true``: each suffix that starts after a delimiter, longest first; ``skip``
    drops that many parts from the end."""
    end = len(text)
    positions = [i for i, c in enumerate(text) if c == delimiter]
    ends = [end] + [p for p in reversed(positions) if p < end]
    stop = ends[skip] if skip < len(ends) else None
    if stop is None:
        return []
    starts = [0] + [p + 1 for p in positions if p + 1 < stop]
    if text.startswith(delimiter):
        starts[0] = 0
    out = []
    for start in starts:
        if start < stop:
            out.append(Token(text[start:stop].replace(delimiter, replacement), start, stop, 0))
    return out


#: ``char_group``'s named classes.
_GROUPS = {"whitespace": r"\s", "letter": r"\p{L}", "digit": r"\p{Nd}",
           "punctuation": r"\p{P}", "symbol": r"\p{S}"}


def char_group(spec: dict[str, Any], name: str) -> Tokenizer:
    chars = setting_list(spec, "tokenize_on_chars")
    if not chars:
        raise IllegalArgument("[tokenize_on_chars] must be set to a non-empty list")
    parts = []
    for item in chars:
        if item in _GROUPS:
            parts.append(_GROUPS[item])
        elif len(item) == 1:
            parts.append(regex.escape(item))
        elif item.startswith("\\") and len(item) == 2:
            parts.append({"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\f": "\f",
                          "\\\\": "\\\\"}.get(item, regex.escape(item[1])))
        else:
            raise IllegalArgument(f"Invalid escaped char in [{item}]")
    run = regex.compile("[^" + "".join(parts) + "]+")
    return _runs(run, setting_int(spec, "max_token_length", 255, name))


FACTORIES: dict[str, Callable[..., Tokenizer]] = {
    "char_group": char_group,
    "standard": standard, "whitespace": whitespace, "keyword": keyword, "letter": letter,
    "lowercase": lowercase, "pattern": pattern, "simple_pattern": simple_pattern,
    "simple_pattern_split": simple_pattern_split, "ngram": ngram, "edge_ngram": edge_ngram,
    "path_hierarchy": path_hierarchy,
}
ALIASES = {"nGram": "ngram", "edgeNGram": "edge_ngram", "PathHierarchy": "path_hierarchy"}
#: Known to ES, not built here: refused by name rather than approximated.
UNSUPPORTED = {"uax_url_email", "classic", "thai", "icu_tokenizer", "kuromoji",
               "nori_tokenizer", "smartcn_tokenizer"}
