"""The token an analysis chain passes along: term, offsets into the original text, position."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tantivy


class Token:
    """One token; ``start``/``end`` are character offsets into the text before char filters."""

    __slots__ = ("end", "keyword", "position", "position_length", "start", "text", "type")

    def __init__(self, text: str, start: int, end: int, position: int, type: str = "word",
                 position_length: int = 1) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.position = position
        self.type = type
        self.position_length = position_length
        self.keyword = False

    def with_text(self, text: str) -> Token:
        token = Token(text, self.start, self.end, self.position, self.type, self.position_length)
        token.keyword = self.keyword
        return token

    def __repr__(self) -> str:
        return f"Token({self.text!r}@{self.position} {self.start}-{self.end})"


def setting_int(spec: dict[str, Any], key: str, default: int, where: str) -> int:
    """An integer parameter of an analysis component (settings keep values as strings)."""
    value = spec.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        from loghaven.errors import IllegalArgument
        raise IllegalArgument(f"Failed to parse value [{value}] for setting [{where}.{key}]") \
            from None


def setting_bool(spec: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = spec.get(key, default)
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    from loghaven.errors import IllegalArgument
    raise IllegalArgument(f"Failed to parse value [{value}] as only [true] or [false] are "
                          f"allowed.")


def setting_list(spec: dict[str, Any], key: str) -> list[str] | None:
    """A list parameter: a JSON array, or one string (ES reads ``"a"`` as ``["a"]``)."""
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


#: A token filter done in Python: the tokens in, the tokens out (changed in place or not).
TokenFilter = Callable[[list[Token]], list[Token]]


def per_token(change: Callable[[str], str]) -> TokenFilter:
    """A filter that rewrites each token's text with ``change``."""
    def apply(tokens: list[Token]) -> list[Token]:
        for token in tokens:
            token.text = change(token.text)
        return tokens
    return apply


def raw_analyzer(*filters: tantivy.Filter) -> tantivy.TextAnalyzer:
    """tantivy's filters over one whole token, to run them on a token's text."""
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
    for item in filters:
        builder = builder.filter(item)
    return builder.build()
