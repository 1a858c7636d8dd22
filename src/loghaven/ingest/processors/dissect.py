"""The ``dissect`` processor: split text by the delimiters between ``%{key}`` references.

Modifiers, as ES's dissect library: ``%{+a}`` appends to ``a`` (``%{+a/2}`` in a given
order, joined by ``append_separator``), ``%{?a}`` and ``%{}`` skip, ``%{*a}``/``%{&a}`` make
one value the name of another, ``%{a->}`` skips repeated delimiters after ``a``. A match is
all or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from loghaven.errors import LoghavenError
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.fields import STRING, read_present

_LEADING = re.compile(r"^(.*?)%\{", re.DOTALL)
_KEY_AND_DELIMITER = re.compile(r"%\{([^}]*?)}(.+?(?=%\{)|.*$)", re.DOTALL)
_MODIFIERS = re.compile(r"[/+*&?]")
_LEFT_MODIFIER = re.compile(r"([+*&?])(.*?)(->)?$", re.DOTALL)
_RIGHT_PADDING = re.compile(r"^(.*?)(->)?$", re.DOTALL)
_APPEND_WITH_ORDER = re.compile(r"[+](.*?)(/)([0-9]+)(->)?$", re.DOTALL)

NONE, APPEND, APPEND_WITH_ORDER, FIELD_NAME, FIELD_VALUE, NAMED_SKIP = "", "+", "/", "*", "&", "?"


class DissectError(LoghavenError):
    """ES's DissectException subclasses (RuntimeExceptions, named after their class)."""

    status = 500


@dataclass
class _Key:
    name: str
    modifier: str
    skip: bool
    pad: bool  # ``->``: skip repeated delimiters to the right
    position: int = 0


def _parse_key(text: str) -> _Key:
    """One key with its modifier (DissectKey)."""
    modifier = NONE
    for count, found in enumerate(_MODIFIERS.finditer(text), 1):
        prior, modifier = modifier, found.group()
        if count > 1 and not (prior == APPEND and modifier == APPEND_WITH_ORDER):
            raise DissectError(f"Unable to parse key: {text} Reason: multiple modifiers are "
                               f"not allowed.", type="key_parse")
    position = 0
    if modifier == NONE:
        match = _RIGHT_PADDING.search(text)
        assert match is not None
        name, pad = match.group(1), match.group(2) is not None
        skip = name == ""
    elif modifier == APPEND_WITH_ORDER:
        match = _APPEND_WITH_ORDER.search(text)
        if match is None:
            name, pad, skip = "", False, False
        else:
            name, pad, skip = match.group(1), match.group(4) is not None, False
            position = int(match.group(3))
    else:
        match = _LEFT_MODIFIER.search(text)
        assert match is not None
        name, pad = match.group(2), match.group(3) is not None
        skip = modifier == NAMED_SKIP
    if name == "" and not skip:
        raise DissectError(f"Unable to parse key: {text} Reason: The key name could not be "
                           f"determined", type="key_parse")
    return _Key(name, modifier, skip, pad, position)


class DissectPattern:
    """A parsed dissect pattern (DissectParser)."""

    def __init__(self, pattern: str, append_separator: str) -> None:
        self.pattern = pattern
        self.append_separator = append_separator
        leading = _LEADING.search(pattern)
        self.leading = leading.group(1) if leading else ""
        pairs = [(_parse_key(m.group(1)), m.group(2))
                 for m in _KEY_AND_DELIMITER.finditer(pattern[len(self.leading):])]
        self.max_results = len({key.name for key, _ in pairs if not key.skip})
        if not pairs or not self.max_results:
            raise self._invalid("Unable to find any keys or delimiters.")
        appended = {key.name for key, _ in pairs if key.modifier in (APPEND, APPEND_WITH_ORDER)}
        for key, _ in pairs:
            if key.modifier == NONE and key.name in appended:
                key.modifier = APPEND
        references: dict[str, list[_Key]] = {}
        for key, _ in pairs:
            if key.modifier in (FIELD_NAME, FIELD_VALUE):
                references.setdefault(key.name, []).append(key)
        for name, keys in references.items():
            if len(keys) != 2:
                raise self._invalid(f"Found invalid key/reference associations: "
                                    f"'{','.join(name for _ in keys)}' Please ensure each "
                                    f"'*<key>' is matched with a matching '&<key>")
        self.pairs = pairs

    def _invalid(self, reason: str) -> DissectError:
        return DissectError(f"Unable to parse pattern: {self.pattern} Reason: {reason}",
                            type="pattern_parse")

    def parse(self, text: str) -> dict[str, str] | None:
        """The fields of ``text``, or None when it does not match."""
        found = _Match(self)
        leading = self.leading
        if len(text) > len(leading) and text.startswith(leading):
            pairs = iter(self.pairs)
            key, delimiter = next(pairs)
            i = start = len(leading)
            length = len(text)
            while i < length:
                if not delimiter or not text.startswith(delimiter, i):
                    i += 1
                    continue
                found.add(key, text[start:i])
                i += len(delimiter)
                while i < length and text.startswith(delimiter, i):  # repeated delimiters
                    i += len(delimiter)
                    if not key.pad:
                        following = next(pairs, None)
                        if following is None:
                            break
                        key = following[0]
                        found.add(key, "")
                following = next(pairs, None)
                if following is None:
                    break
                key, delimiter = following
                start = i
            if found.matches != len(self.pairs) and not delimiter:
                found.add(key, text[start:])
        results = found.results()
        valid = found.matches == len(self.pairs) and len(results) == self.max_results
        return results if valid else None


class _Match:
    """The values found so far (DissectMatch): plain, appended and referenced."""

    def __init__(self, pattern: DissectPattern) -> None:
        self.separator = pattern.append_separator
        self.matches = 0
        self.simple: dict[str, str] = {}
        self.appended: dict[str, list[tuple[int, str]]] = {}
        self.references: dict[str, dict[str, str]] = {}
        self.implicit_order = -1000

    def add(self, key: _Key, value: str) -> None:
        self.matches += 1
        if key.skip:
            return
        if key.modifier == NONE:
            self.simple[key.name] = value
        elif key.modifier == APPEND:
            self.appended.setdefault(key.name, []).append((self.implicit_order, value))
            self.implicit_order += 1
        elif key.modifier == APPEND_WITH_ORDER:
            self.appended.setdefault(key.name, []).append((key.position, value))
        else:
            role = "key" if key.modifier == FIELD_NAME else "value"
            self.references.setdefault(key.name, {})[role] = value

    def results(self) -> dict[str, Any]:
        results: dict[str, Any] = dict(self.simple)
        for reference in self.references.values():
            results[reference.get("key")] = reference.get("value")  # type: ignore[index]
        for name, values in self.appended.items():
            ordered = sorted(values, key=lambda item: item[0])
            results[name] = self.separator.join(value for _, value in ordered)
        return results


@processor_type("dissect")
class Dissect(Processor):
    type = "dissect"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        pattern = config.string("pattern")
        append_separator = config.string("append_separator", "")
        self.ignore_missing = config.boolean("ignore_missing", False)
        config.finish()
        try:
            self.pattern = DissectPattern(pattern, append_separator)
        except DissectError as error:
            raise config.error("pattern", error.reason) from None

    def execute(self, document: IngestDocument) -> IngestDocument:
        text = read_present(document, self.field, STRING, self.ignore_missing)
        if text is None:
            return document
        results = self.pattern.parse(text)
        if results is None:
            raise DissectError(f"Unable to find match for dissect pattern: "
                               f"{self.pattern.pattern} against source: {text}",
                               type="find_match")
        for name, value in results.items():
            document.set(name, value)
        return document
