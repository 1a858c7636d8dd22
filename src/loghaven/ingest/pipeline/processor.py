"""What a processor is, how its configuration is read, and the registry of processor types.

A processor type registers a factory with :func:`processor_type`; the factory reads its
options from a :class:`ProcessorConfig` (each reader removes the option it reads, so options
left over are refused by name, as Elasticsearch's ``ConfigurationUtils`` does) and returns a
:class:`Processor`. Configuration errors are ES's ``parse_exception`` with the
``processor_type``, ``processor_tag`` and ``property_name`` it attaches, because clients show
those fields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from loghaven.errors import LoghavenError
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.scripting.evaluate import type_name

_REQUIRED = object()


class ConfigurationError(LoghavenError):
    """ES's ``ElasticsearchParseException`` from processor configuration (400)."""

    type = "parse_exception"
    status = 400


class Processor(ABC):
    """One step of a pipeline; ``execute`` changes the document in place."""

    #: The type name users write in pipeline JSON (``"grok"``).
    type: ClassVar[str]

    def __init__(self, tag: str | None = None, description: str | None = None) -> None:
        self.tag = tag
        self.description = description

    @abstractmethod
    def execute(self, document: IngestDocument) -> IngestDocument | None:
        """Process ``document``; return it, or None to drop it (the ``drop`` processor)."""


class ProcessorConfig:
    """The options of one processor, read (and consumed) by its factory."""

    def __init__(self, type_name: str, tag: str | None, options: dict[str, Any]) -> None:
        self.type = type_name
        self.tag = tag
        self.options = options

    def error(self, property_name: str | None, reason: str) -> ConfigurationError:
        extra: dict[str, Any] = {}
        if self.tag is not None:
            extra["processor_tag"] = self.tag
        extra["processor_type"] = self.type
        if property_name is not None:
            extra["property_name"] = property_name
        return ConfigurationError(reason, **extra)

    def _take(self, name: str, default: Any) -> Any:
        value = self.options.pop(name, _REQUIRED)
        if value is _REQUIRED or value is None:
            if default is _REQUIRED:
                raise self.error(name, f"[{name}] required property is missing")
            return default
        return value

    def _wrong(self, name: str, value: Any, kind: str) -> ConfigurationError:
        return self.error(name, f"[{name}] property isn't a {kind}, but of type "
                                f"[{type_name(value)}]")

    def string(self, name: str, default: Any = _REQUIRED) -> Any:
        """A string option; numbers and booleans are taken as their text, as ES does."""
        value = self._take(name, default)
        if value is default and value is not _REQUIRED:
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise self._wrong(name, value, "string")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self._take(name, default)
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise self.error(name, f"[{name}] property isn't a boolean, but of type "
                               f"[{type_name(value)}]")

    def integer(self, name: str, default: Any = _REQUIRED) -> Any:
        value = self._take(name, default)
        if value is default and value is not _REQUIRED:
            return value
        if isinstance(value, bool):
            raise self.error(name, f"Failed to parse content of [{name}] as int")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self.error(name, f"Failed to parse content of [{name}] as int") from None

    def strings(self, name: str, default: Any = _REQUIRED) -> Any:
        """A list of strings; a single string is a list of one where ES allows it."""
        value = self._take(name, default)
        if value is default and value is not _REQUIRED:
            return value
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(name, value, "list")
        return value

    def mapping(self, name: str, default: Any = _REQUIRED) -> Any:
        value = self._take(name, default)
        if value is default and value is not _REQUIRED:
            return value
        if not isinstance(value, dict):
            raise self._wrong(name, value, "map")
        return value

    def raw(self, name: str, default: Any = _REQUIRED) -> Any:
        """An option of any JSON type (``value`` of ``set``)."""
        return self._take(name, default)

    def finish(self) -> None:
        """Refuse the options no reader took."""
        if self.options:
            names = ", ".join(self.options)
            raise self.error(None, f"processor [{self.type}] doesn't support one or more "
                                   f"provided configuration parameters [{names}]")


Factory = Callable[[ProcessorConfig], Processor]
#: Every processor type by name; modules of ``ingest/processors`` fill it when imported.
PROCESSORS: dict[str, Factory] = {}


def processor_type(name: str) -> Callable[[Factory], Factory]:
    """Register ``name``'s factory (a class taking a ProcessorConfig, or a function)."""

    def register(factory: Factory) -> Factory:
        if name in PROCESSORS:
            raise RuntimeError(f"processor type [{name}] registered twice")
        PROCESSORS[name] = factory
        return factory

    return register
