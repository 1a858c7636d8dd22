"""String processors: lowercase, uppercase, trim, gsub, html_strip, bytes (ES's
AbstractStringProcessor family: a string or a list of strings, ``target_field``,
``ignore_missing``)."""

from __future__ import annotations

from html.parser import HTMLParser

from loghaven.errors import IllegalArgument
from loghaven.ingest import java
from loghaven.ingest.pipeline.processor import ProcessorConfig, processor_type
from loghaven.ingest.processors.fields import StringProcessor
from loghaven.params import parse_byte_size

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


@processor_type("bytes")
class Bytes(StringProcessor):
    """A human-readable size (``1kb``) as its number of bytes."""

    type = "bytes"

    def process(self, value: str) -> int:
        return parse_byte_size(value, self.field)
