"""Pipeline definitions compiled into :class:`~loghaven.ingest.pipeline.steps.Pipeline`.

As ES's ``Pipeline.create`` and ``ConfigurationUtils.readProcessor``: a definition takes
``description``, ``processors``, ``on_failure``, ``version`` and ``_meta``; each processor is
``{type: options}``, whose common options (``tag``, ``description``, ``if``,
``ignore_failure``, ``on_failure``) are read here and the rest by the type's factory; an
unknown type, an option nobody read and an empty ``on_failure`` are refused with ES's
``parse_exception``. ``if`` scripts are compiled once, here.
"""

from __future__ import annotations

from typing import Any

from loghaven.ingest.pipeline.processor import PROCESSORS, ConfigurationError, ProcessorConfig
from loghaven.ingest.pipeline.steps import Pipeline, Step
from loghaven.scripting import Script, ScriptError, compile
from loghaven.scripting.evaluate import type_name

_PIPELINE_KEYS = ("description", "processors", "on_failure", "version", "_meta")


class PropertyReader(ProcessorConfig):
    """The readers of processor options, for keys outside a processor (a pipeline's own, a
    ``_simulate`` body's): ES names no processor type in their errors."""

    def error(self, property_name: str | None, reason: str) -> ConfigurationError:
        extra = {"property_name": property_name} if property_name is not None else {}
        return ConfigurationError(reason, **extra)

    def list(self, name: str, required: bool) -> list[Any] | None:
        value = self.raw(name, None)
        if value is None:
            if required:
                raise self.error(name, f"[{name}] required property is missing")
            return None
        if not isinstance(value, list):
            raise self._wrong(name, value, "list")
        return value


def compile_pipeline(pipeline_id: str, definition: Any) -> Pipeline:
    """Compile a stored or simulated definition; ``parse_exception`` when it is not valid."""
    if not isinstance(definition, dict):
        raise ConfigurationError(f"pipeline [{pipeline_id}] definition isn't a map, but of "
                                 f"type [{type_name(definition)}]")
    config = PropertyReader("pipeline", None, dict(definition))
    description = config.string("description", None)
    version = config.integer("version", None)
    config.mapping("_meta", None)
    processors = config.list("processors", True)
    handlers = config.list("on_failure", False)
    if config.options:
        raise ConfigurationError(f"pipeline [{pipeline_id}] doesn't support one or more "
                                 f"provided configuration parameters "
                                 f"[{', '.join(config.options)}]")
    if handlers is not None and not handlers:
        raise ConfigurationError(f"pipeline [{pipeline_id}] cannot have an empty on_failure "
                                 f"option defined")
    return Pipeline(pipeline_id, read_processors(processors or []),
                    read_processors(handlers) if handlers else None, description, version)


def read_processors(configs: list[Any]) -> list[Step]:
    """A ``processors`` or ``on_failure`` list: each item one or more ``{type: options}``."""
    steps: list[Step] = []
    for item in configs:
        if not isinstance(item, dict):
            raise ConfigurationError(f"property isn't a map, but of type [{type_name(item)}]")
        for processor_name, options in item.items():
            steps.append(read_processor(processor_name, options))
    return steps


def read_processor(type_name: str, options: Any) -> Step:
    """One processor: its common options, then its type's own, all of them consumed."""
    if options is None:
        raise ConfigurationError(f"the config of processor [{type_name}] cannot be null",
                                 processor_type=type_name)
    if type_name == "script" and isinstance(options, str):
        options = {"source": options}  # ES's inline-script shorthand
    if not isinstance(options, dict):
        raise ConfigurationError(f"property isn't a map, but of type [{type_name(options)}]",
                                 processor_type=type_name)
    config = ProcessorConfig(type_name, None, dict(options))
    config.tag = config.string("tag", None)
    description = config.string("description", None)
    ignore_failure = config.boolean("ignore_failure", False)
    condition = config.raw("if", None)
    factory = PROCESSORS.get(type_name)
    if factory is None:
        raise config.error(None, f"No processor type exists with name [{type_name}]")
    handlers = config.raw("on_failure", None)
    on_failure = None
    if handlers is not None:
        if not isinstance(handlers, list):
            raise config._wrong("on_failure", handlers, "list")
        on_failure = read_processors(handlers)
        if not on_failure:
            raise config.error("on_failure", "[on_failure] processors list cannot be empty")
    processor = factory(config)
    config.finish()
    script, params = (None, {}) if condition is None else read_script(config, "if", condition)
    processor.tag = config.tag
    processor.description = description
    return Step(processor, type_name, config.tag, description, script, params,
                ignore_failure, on_failure)


def read_script(config: ProcessorConfig, name: str, value: Any) -> tuple[Script, dict[str, Any]]:
    """A script option (``if``, or the ``script`` processor's): inline source as a string or
    ``{source, lang, params}``; compiled now, its errors as ES's configuration error."""
    params: dict[str, Any] = {}
    if isinstance(value, dict):
        options = ProcessorConfig(config.type, config.tag, dict(value))
        if "id" in options.options:
            raise config.error(name, "stored scripts are not supported; use an inline "
                                     "[source]")
        lang = options.string("lang", "painless")
        if lang != "painless":
            raise config.error(name, f"script_lang not supported [{lang}]")
        params = options.mapping("params", {})
        options.options.pop("options", None)
        value = options.string("source")
        options.finish()
    elif not isinstance(value, str):
        raise config._wrong(name, value, "string")
    try:
        return compile(value), params
    except ScriptError as error:
        # ES keeps a script's own error, marked with the processor it configures
        error.extra.update(config.error(None, "").extra)
        raise
