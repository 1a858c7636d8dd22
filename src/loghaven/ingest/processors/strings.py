"""String processors: lowercase, uppercase, trim, gsub, html_strip, bytes (ES's
AbstractStringProcessor family: a string or a list of strings, ``target_field``,
``ignore_missing``)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from loghaven.errors import IllegalArgument, ParseFailure
from loghaven.ingest import java
from loghaven.ingest.pipeline.processor import ProcessorConfig, processor_type
from loghaven.ingest.processors.fields import StringProcessor

#: What String.trim removes: every character up to and including the space.
_JAVA_WHITESPACE = "".join(chr(c) for c in range(33))


@processor_type("lowercase")
class Lowercase(StringProcessor):
    type = "lowercase"

    def process(self, value: str) -> str:
        return value.lower()


@processor_type("uppercase")
class Uppercase(StringProcessor):
    type = "uppercase"

    def process(self, value: str) -> str:
        return value.upper()


@processor_type("trim")
class Trim(StringProcessor):
    type = "trim"

    def process(self, value: str) -> str:
        return value.strip(_JAVA_WHITESPACE)


@processor_type("gsub")
class Gsub(StringProcessor):
    """Replace every match of a Java regular expression (``$1`` refers to a group)."""

    type = "gsub"

    def configure(self, config: ProcessorConfig) -> None:
        pattern = config.string("pattern")
        try:
            self.pattern = java.compile_regex(pattern)
        except IllegalArgument as error:
            raise config.error("pattern", f"Invalid regex pattern. {error.reason}") from None
        self.replacement = java.replacement_template(config.string("replacement"),
                                                     self.pattern.groups)

    def process(self, value: str) -> str:
        return self.pattern.sub(self.replacement, value)


# -- html_strip --

#: Elements Lucene's HTMLStripCharFilter replaces (start and end tag) with a line break.
_BLOCK_ELEMENTS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "li", "main", "nav", "noscript", "ol", "output", "p", "pre", "section",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"})
_HIDDEN_ELEMENTS = frozenset({"script", "style"})


class _Stripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self.hidden += 1
        elif tag in _BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag in _BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self.hidden = max(0, self.hidden - 1)
            self.parts.append("\n")
        elif tag in _BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


@processor_type("html_strip")
class HtmlStrip(StringProcessor):
    """Remove HTML tags and decode entities; block elements become line breaks, as Lucene's
    HTMLStripCharFilter that ES uses."""

    type = "html_strip"

    def process(self, value: str) -> str:
        if "<" not in value or ">" not in value:  # ES's shortcut: no tags, no decoding
            return value
        stripper = _Stripper()
        stripper.feed(value)
        stripper.close()
        return "".join(stripper.parts)


# -- bytes --

_BYTE_UNITS = (("kb", 1 << 10), ("k", 1 << 10), ("mb", 1 << 20), ("m", 1 << 20),
               ("gb", 1 << 30), ("g", 1 << 30), ("tb", 1 << 40), ("t", 1 << 40),
               ("pb", 1 << 50), ("p", 1 << 50))
_LONG = re.compile(r"[+-]?[0-9]+")


def parse_byte_size(text: str, setting: str) -> int:
    """``ByteSizeValue.parseBytesSizeValue``: ``1kb``, ``1.5m``, ``512b``, ``-1``, ``0``."""
    lower = text.lower().strip()
    for suffix, factor in _BYTE_UNITS:
        if lower.endswith(suffix):
            number = lower[:-len(suffix)].strip()
            if _LONG.fullmatch(number):
                return int(number) * factor
            try:
                return int(java.parse_double(number) * factor)
            except java.NumberFormat:
                raise ParseFailure(f"failed to parse [{text}]") from None
    if lower.endswith("b"):
        number = lower[:-1].strip()
        if _LONG.fullmatch(number):
            return int(number)
        raise ParseFailure(f"failed to parse [{text}]")
    if lower in ("-1", "0"):
        return int(lower)
    raise ParseFailure(f"failed to parse setting [{setting}] with value [{text}] as a size in "
                       f"bytes: unit is missing or unrecognized")


@processor_type("bytes")
class Bytes(StringProcessor):
    """A human-readable size (``1kb``) as its number of bytes."""

    type = "bytes"

    def process(self, value: str) -> int:
        return parse_byte_size(value, self.field)
