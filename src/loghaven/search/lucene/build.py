"""Building the query DSL clauses that the Lucene syntaxes translate to, shared by both parsers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loghaven.errors import IllegalArgument

Query = dict[str, Any]

# Clause kinds whose body sits under a field name: {"kind": {field: body}}.
_FIELD_KEYED = frozenset(
    {"match", "match_phrase", "term", "range", "wildcard", "regexp", "fuzzy", "prefix"}
)
MAX_DEPTH = 200


class LuceneSyntaxError(Exception):
    """A parse failure; the public functions turn it into ``ParsingError`` (or recover)."""


def split_field_boost(spec: str) -> tuple[str, float]:
    """``"title^2"`` → ``("title", 2.0)``; a spec without a valid boost keeps boost 1."""
    name, sep, boost = spec.rpartition("^")
    if sep and name:
        try:
            return name, float(boost)
        except ValueError:
            pass
    return spec, 1.0


def with_boost(q: Query | None, boost: float | None) -> Query | None:
    """Multiply a clause's ``boost`` in place (clauses are always freshly built here)."""
    if q is None or boost is None:
        return q
    kind, body = next(iter(q.items()))
    if kind in _FIELD_KEYED:
        body = next(iter(body.values()))
    body["boost"] = float(body.get("boost", 1.0)) * boost
    return q


def parse_operator(op: str) -> bool:
    """True for AND; Elasticsearch accepts either case."""
    upper = str(op).upper()
    if upper not in ("AND", "OR"):
        raise IllegalArgument(f"operator needs to be either [and, or], but not [{op}]")
    return upper == "AND"


def parse_fuzziness(text: str) -> int | str:
    """ES ``Fuzziness.fromString``: ``AUTO[:lo,hi]`` or a whole edit distance 0..2."""
    upper = text.upper()
    if upper == "AUTO" or upper.startswith("AUTO:"):
        return upper
    try:
        value = float(text)
    except ValueError:
        raise LuceneSyntaxError(f"Invalid fuzziness value: {text}") from None
    if value % 1:
        raise LuceneSyntaxError(f"fuzziness needs to be one of 0.0, 1.0 or 2.0 but was {value}")
    if not 0 <= value <= 2:
        raise LuceneSyntaxError(f"Valid edit distances are [0, 1, 2] but was [{int(value)}]")
    return int(value)


@dataclass
class Builder:
    """Builds leaf clauses over a list of field specs (names or patterns, maybe ``^boost``)."""

    and_op: bool
    lenient: bool

    def text(self, specs: list[str], text: str, *, phrase: bool = False, slop: int = 0) -> Query:
        """Analysed free text: match/match_phrase on one field, else multi_match."""
        if len(specs) == 1:
            name, fboost = split_field_boost(specs[0])
            if "*" not in name:
                body: dict[str, Any] = {"query": text}
                if phrase:
                    if slop:
                        body["slop"] = slop
                else:
                    if self.and_op:
                        body["operator"] = "and"
                    if self.lenient:
                        body["lenient"] = True
                q: Query = {"match_phrase" if phrase else "match": {name: body}}
                return with_boost(q, fboost) if fboost != 1.0 else q  # type: ignore[return-value]
        mm: dict[str, Any] = {
            "query": text,
            "fields": list(specs),
            "type": "phrase" if phrase else "best_fields",
        }
        if phrase:
            if slop:
                mm["slop"] = slop
        elif self.and_op:
            mm["operator"] = "and"
        if self.lenient:
            mm["lenient"] = True
        return {"multi_match": mm}

    @staticmethod
    def per_field(specs: list[str], make: Callable[[str], Query]) -> Query:
        """One clause per field spec, OR-ed together when there are several."""
        clauses: list[Query] = []
        for spec in specs:
            name, fboost = split_field_boost(spec)
            q = make(name)
            if fboost != 1.0:
                with_boost(q, fboost)
            clauses.append(q)
        if len(clauses) == 1:
            return clauses[0]
        return {"bool": {"should": clauses}}

    def prefix(self, specs: list[str], value: str) -> Query:
        return self.per_field(specs, lambda f: {"prefix": {f: {"value": value}}})

    def wildcard(self, specs: list[str], value: str) -> Query:
        return self.per_field(specs, lambda f: {"wildcard": {f: {"value": value}}})

    def regexp(self, specs: list[str], value: str) -> Query:
        return self.per_field(specs, lambda f: {"regexp": {f: {"value": value}}})

    def fuzzy(self, specs: list[str], value: str, fuzziness: int | str) -> Query:
        return self.per_field(
            specs, lambda f: {"fuzzy": {f: {"value": value, "fuzziness": fuzziness}}}
        )

    def exists(self, specs: list[str]) -> Query:
        return self.per_field(specs, lambda f: {"exists": {"field": f}})

    def range(
        self,
        specs: list[str],
        lower: str | None,
        upper: str | None,
        include_lower: bool,
        include_upper: bool,
    ) -> Query:
        if lower is None and upper is None:
            return self.exists(specs)
        body: dict[str, str] = {}
        if lower is not None:
            body["gte" if include_lower else "gt"] = lower
        if upper is not None:
            body["lte" if include_upper else "lt"] = upper
        return self.per_field(specs, lambda f: {"range": {f: dict(body)}})


