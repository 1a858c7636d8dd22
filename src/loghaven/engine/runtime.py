"""Runtime fields: fields computed when a search reads them, from a Painless script that
``emit``s values (or, without a script, from ``_source`` under the same name).

They come from a mapping's ``runtime`` section or a search's ``runtime_mappings`` (which
override the mapping's). Scripts run in the shared evaluator (loghaven/scripting), with
``doc['f']`` reading the document's indexed values of mapped field ``f`` (as a list, with
``.value``), ``params`` (``_source`` included) and ``emit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loghaven.engine.dates import DEFAULT as DEFAULT_DATE_FORMAT
from loghaven.engine.dates import get_format
from loghaven.engine.words import display_form
from loghaven.errors import IllegalArgument, MapperParsing
from loghaven.scripting import DocLookup, DocValues, Function, Script, compile
from loghaven.scripting.java_text import java_str
from loghaven.scripting.java_time import ZonedDateTime

if TYPE_CHECKING:
    from loghaven.engine.mapping import FieldInfo, Mapping

#: Runtime field types Loghaven computes (ES also has geo_point, composite, lookup).
TYPES = frozenset({"keyword", "long", "double", "date", "boolean", "ip"})
_VARIABLES = ("doc", "params", "emit")
#: ES's ``script.max_runtime_field_values``-like bound on values one document may emit.
MAX_VALUES = 100
#: How deep runtime fields may read each other (a cycle is an error, as in ES).
_MAX_DEPTH = 16


@dataclass(frozen=True)
class RuntimeField:
    name: str
    type: str
    script: Script | None = None
    params: dict[str, Any] = field(default_factory=dict, compare=False)
    date_format: str = DEFAULT_DATE_FORMAT

    def values(self, source: dict[str, Any], flat: dict[str, Any], mapping: Mapping,
               runtime: dict[str, RuntimeField] | None = None, depth: int = 0) -> list[Any]:
        """This field's values for one document (its source and its built engine document);
        ``doc`` in its script reads the other ``runtime`` fields too."""
        if self.script is None:
            return [self._convert(v) for v in source_values(source, self.name) if v is not None]
        out: list[Any] = []

        def emit(value: Any) -> None:
            if len(out) >= MAX_VALUES:
                raise IllegalArgument(f"Runtime field [{self.name}] is emitting [{len(out) + 1}] "
                                      f"values while the maximum number of values allowed is "
                                      f"[{MAX_VALUES}]")
            out.append(self._convert(value))

        params = {**self.params, "_source": source}
        doc = _Doc(flat, mapping, runtime, source, depth)
        self.script.execute({"doc": doc, "params": params,
                             "emit": Function("emit", emit, (1,))}, read_only=("doc", "params"))
        return out

    def _convert(self, value: Any) -> Any:
        try:
            if isinstance(value, ZonedDateTime):
                value = value.millis
            if self.type == "keyword":
                return value if isinstance(value, str) else java_str(value)
            if self.type == "long":
                if isinstance(value, bool):
                    raise ValueError
                return int(value)
            if self.type == "double":
                if isinstance(value, bool):
                    raise ValueError
                return float(value)
            if self.type == "boolean":
                return value if isinstance(value, bool) else str(value) == "true"
            if self.type == "date":
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    return int(value)
                return get_format(self.date_format).parse(value)
            return str(value)
        except (TypeError, ValueError) as exc:
            raise IllegalArgument(f"runtime field [{self.name}] of type [{self.type}] cannot "
                                  f"take the value [{value}]") from exc

    def typed(self, value: Any, fmt: str | None = None) -> Any:
        """A value given in a request (a query's, an aggregation's ``missing``) in this
        field's type."""
        try:
            if self.type == "date" and not (isinstance(value, int)
                                             and not isinstance(value, bool)):
                return get_format(fmt or self.date_format).parse(value)
            if self.type == "boolean":
                return value in (True, "true")
            if self.type in ("keyword", "ip"):
                if isinstance(value, bool):
                    return "true" if value else "false"
                return value if isinstance(value, str) else str(value)
            if self.type == "long":
                number = float(value)
                return int(number) if number.is_integer() else number
            return float(value)
        except (TypeError, ValueError) as exc:
            raise IllegalArgument(f"failed to create query: value [{value}] does not fit "
                                  f"runtime field [{self.name}] of type [{self.type}]") from exc

    def render(self, value: Any, fmt: str | None = None) -> Any:
        """A value as ``fields`` shows it (dates in the field's format)."""
        if self.type == "date":
            return get_format(fmt or self.date_format).format(value)
        return value


class _Doc(DocLookup):
    """``doc`` over one built document: each mapped field's indexed values, read lazily."""

    def __init__(self, flat: dict[str, Any], mapping: Mapping,
                 runtime: dict[str, RuntimeField] | None, source: dict[str, Any],
                 depth: int) -> None:
        super().__init__()
        self.flat, self.mapping, self.source, self.depth = flat, mapping, source, depth
        self.runtime = runtime if runtime is not None else mapping.runtime

    def read(self, key: Any) -> DocValues:
        field = self.runtime.get(key) if isinstance(key, str) else None
        if field is not None:
            if self.depth >= _MAX_DEPTH:
                raise IllegalArgument(f"Cyclic dependency detected while resolving runtime "
                                      f"fields: {key}")
            found = sorted(field.values(self.source, self.flat, self.mapping, self.runtime,
                                        self.depth + 1))
            return DocValues(ZonedDateTime(v) for v in found) if field.type == "date" \
                else DocValues(found)
        info = self.mapping.fields.get(key) if isinstance(key, str) else None
        if info is None:
            raise KeyError(key)
        if info.kind == "text":
            raise IllegalArgument(
                f"Text fields are not optimised for operations that require per-document field "
                f"data like aggregations and sorting, so these operations are disabled by "
                f"default. Please use a keyword field instead. Alternatively, set fielddata=true "
                f"on [{key}] in order to load field data by uninverting the inverted index. Note "
                f"that this can use significant memory.")
        values = sorted(doc_values(info, self.flat))
        if info.kind == "date":
            return DocValues(ZonedDateTime(v) for v in values)
        return DocValues(values)


def doc_values(info: FieldInfo, flat: dict[str, Any]) -> list[Any]:
    value = flat.get(info.path)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if info.kind == "text":
        return [display_form(v) for v in values]
    return list(values)


def source_values(source: Any, path: str) -> list[Any]:
    """The values at a dotted path of ``_source`` (objects and arrays walked, dotted keys too)."""
    if isinstance(source, list):
        return [v for item in source for v in source_values(item, path)]
    if not isinstance(source, dict):
        return []
    if path in source:
        value = source[path]
        return value if isinstance(value, list) else [value]
    found: list[Any] = []
    for key, value in source.items():
        if path.startswith(key + "."):
            found.extend(source_values(value, path[len(key) + 1:]))
    return found


def source_value(source: Any, path: str) -> Any:
    """The value at a dotted path of ``_source`` as it is there (an array stays one), whether
    objects are nested or keys dotted; None where there is none."""
    if not isinstance(source, dict):
        return None
    if path in source:
        return source[path]
    parts = path.split(".")
    for i in range(1, len(parts)):
        value = source.get(".".join(parts[:i]))
        if isinstance(value, dict):
            found = source_value(value, ".".join(parts[i:]))
            if found is not None:
                return found
    return None


def parse_runtime(spec: Any, *, mapping_error: bool) -> dict[str, RuntimeField]:
    """A ``runtime`` section or ``runtime_mappings`` into runtime fields; ES's refusals
    (``mapper_parsing_exception`` in a mapping, the same reasons in a search)."""
    error = MapperParsing if mapping_error else IllegalArgument
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise error("runtime mappings must be an object")
    fields: dict[str, RuntimeField] = {}
    for name, body in spec.items():
        if not isinstance(body, dict):
            raise error(f"Expected map for runtime field [{name}] definition but got a "
                        f"{type(body).__name__}")
        for key in body:
            if key not in ("type", "script", "format", "meta", "on_script_error"):
                raise error(f"unknown parameter [{key}] on runtime field [{name}] of type "
                            f"[{body.get('type')}]")
        kind = body.get("type")
        if kind is None:
            raise error(f"No type specified for runtime field [{name}]")
        if kind not in TYPES:
            raise error(f"No handler for type [{kind}] declared on runtime field [{name}]")
        fields[name] = RuntimeField(name, str(kind), *_script(name, body.get("script")),
                                    date_format=str(body.get("format", DEFAULT_DATE_FORMAT)))
        if "format" in body:
            try:
                get_format(fields[name].date_format)
            except ValueError as exc:
                raise error(f"Invalid format: [{body['format']}]: {exc}") from exc
    return fields


def _script(name: str, spec: Any) -> tuple[Script | None, dict[str, Any]]:
    if spec is None:
        return None, {}
    if isinstance(spec, str):
        spec = {"source": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("source"), str):
        raise IllegalArgument(f"[script] of runtime field [{name}] must be a string or an "
                              f"object with a [source]")
    if spec.get("lang", "painless") != "painless":
        raise IllegalArgument(f"script_lang not supported [{spec['lang']}]")
    params = spec.get("params") or {}
    if not isinstance(params, dict):
        raise IllegalArgument("[params] must be an object")
    return compile(spec["source"], _VARIABLES), params
