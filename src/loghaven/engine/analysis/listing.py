"""Tokens as the ``_analyze`` API lists them: offsets in UTF-16 code units (as ES counts),
positions and offsets running on across the texts of an array."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loghaven.engine.analysis.registry import Analyzer, Normalizer


@dataclass(frozen=True)
class AnalyzeToken:
    token: str
    start_offset: int
    end_offset: int
    type: str
    position: int
    position_length: int = 1

    def to_json(self, explain: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"token": self.token, "start_offset": self.start_offset,
                                "end_offset": self.end_offset, "type": self.type,
                                "position": self.position}
        if self.position_length != 1:
            body["positionLength"] = self.position_length
        if explain:
            body["bytes"] = "[" + " ".join(f"{b:02x}" for b in self.token.encode()) + "]"
            body["positionLength"] = self.position_length
            body["termFrequency"] = 1
        return body


def analyze(analyzer: Analyzer, texts: list[str], position_gap: int = 0,
            filter_count: int | None = None) -> list[AnalyzeToken]:
    """Tokens of each text through the analyzer (its first ``filter_count`` filters)."""
    out: list[AnalyzeToken] = []
    last_position = -1
    last_offset = 0
    for number, text in enumerate(texts):
        utf16 = _utf16_offsets(text)
        base = last_position + 1 + (position_gap if number else 0)
        highest = last_position
        for token in analyzer.tokens(text, filter_count):
            position = base + token.position
            highest = max(highest, position)
            out.append(AnalyzeToken(token.text, last_offset + utf16(token.start),
                                    last_offset + utf16(token.end), token.type, position,
                                    token.position_length))
        last_position = highest if highest > last_position else base - 1
        last_offset += utf16(len(text)) + 1
    return out


def normalize(normalizer: Normalizer, texts: list[str]) -> list[AnalyzeToken]:
    out: list[AnalyzeToken] = []
    offset = 0
    for position, text in enumerate(texts):
        utf16 = _utf16_offsets(text)
        out.append(AnalyzeToken(normalizer.normalize(text), offset, offset + utf16(len(text)),
                                "word", position))
        offset += utf16(len(text)) + 1
    return out


def filtered_texts(analyzer: Analyzer, texts: list[str]) -> list[list[str]]:
    """Each char filter's output for each text (``explain``'s ``charfilters``)."""
    per_filter: list[list[str]] = [[] for _ in analyzer.char_filters]
    for text in texts:
        for i, filtered in enumerate(analyzer.filtered_text(text)[2]):
            per_filter[i].append(filtered)
    return per_filter


def _utf16_offsets(text: str) -> Any:
    """Code point offset → UTF-16 offset (identity unless the text has astral characters)."""
    if all(ord(c) < 0x10000 for c in text):
        return lambda offset: offset
    prefix = [0]
    for char in text:
        prefix.append(prefix[-1] + (2 if ord(char) >= 0x10000 else 1))
    return lambda offset: prefix[offset]
