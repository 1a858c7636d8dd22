"""The SQL statement a PPL pipeline folds into, one command at a time.

A :class:`Layer` is one SELECT under construction; :class:`Pipeline` applies each command
to it and opens a subquery (a new layer over the old one) only when SQL's clause order
needs one — rows filtered, grouped or deduplicated after they were limited, grouped or
ranked. Everything else folds in: names a command refers to are resolved back to
expressions over the layer's source (:meth:`Layer.resolve`), so ``eval x = a * 2 | where
x > 3`` is ``WHERE a * 2 > 3`` and a ``where`` after ``stats`` is a ``HAVING``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from loghaven.sql.dialect import OpenSearchSQL
from loghaven.sql.errors import SemanticError
from loghaven.sql.ppl.lexer import unknown_field
from loghaven.sql.pushdown import column_name


def identifier(name: str) -> exp.Identifier:
    return exp.to_identifier(name)


def field_ref(name: str, quoted: bool = False) -> exp.Column:
    """A field reference shaped as the SQL dialect parses it (``a.b`` as a dotted column,
    a backticked name as one quoted identifier), so the core plans both the same way."""
    if quoted or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,3}", name):
        return exp.Column(this=exp.Identifier(this=name, quoted=True))
    return exp.to_column(name, dialect=OpenSearchSQL)


def ref_name(expr: exp.Expression) -> str | None:
    return column_name(expr) if isinstance(expr, exp.Column) else None


def _aliased(name: str, expr: exp.Expression) -> exp.Expression:
    return expr if ref_name(expr) == name else exp.alias_(expr, identifier(name))


# --------------------------------------------------------------------------- the statement

Ordering = tuple[exp.Expression, bool]  # (key, descending)


@dataclass
class Layer:
    """One SELECT being built.

    ``items`` are named output expressions over ``source``. With ``star`` the source's own
    columns come first (minus ``excluded``, under their ``renamed`` names) and an item named
    in ``replaced`` takes the place of the source column of that name (``* REPLACE``).
    Sort keys are either an item's name (ORDER BY its alias) or an expression over the
    source."""

    source: exp.Expression
    star: bool = True
    items: list[tuple[str, exp.Expression]] = field(default_factory=list)
    replaced: set[str] = field(default_factory=set)
    excluded: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # old -> new
    known: list[str] | None = None  # the source's columns, when a subquery tells them
    where: list[exp.Expression] = field(default_factory=list)
    group: list[exp.Expression] = field(default_factory=list)
    grouped: bool = False
    having: list[exp.Expression] = field(default_factory=list)
    qualify: list[exp.Expression] = field(default_factory=list)
    order: list[Ordering] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0

    def item(self, name: str) -> exp.Expression | None:
        return next((expr for item, expr in self.items if item == name), None)

    def outputs(self) -> list[str] | None:
        """The output column names, or None when the source's columns are unknown."""
        if not self.star:
            return [name for name, _ in self.items]
        if self.known is None:
            return None
        names = [self.renamed.get(n, n) for n in self.known if n not in self.excluded]
        return names + [n for n, _ in self.items if n not in names]

    def source_of(self, name: str) -> exp.Expression:
        """The expression over the source that output ``name`` is, or the plugin's
        unknown-field error when no output has that name."""
        item = self.item(name)
        if item is not None:
            return item.copy()
        if self.star:
            back = {new: old for old, new in self.renamed.items()}
            if name in back:
                return field_ref(back[name])
            if name not in self.excluded and name not in self.renamed \
                    and (self.known is None or name in self.known):
                return field_ref(name)
        raise unknown_field(name)

    def has(self, name: str | None) -> bool:
        try:
            return name is not None and self.source_of(name) is not None
        except SemanticError:
            return False

    def resolve(self, expr: exp.Expression) -> exp.Expression:
        """``expr`` over this layer's outputs, rewritten over its source (eval'd and
        aggregated names inlined, renamed ones back to their source names), so a command
        folds into this SELECT instead of opening a subquery."""
        return expr.copy().transform(
            lambda node: self.source_of(column_name(node)) if isinstance(node, exp.Column)
            else node)

    def key_over_source(self, key: exp.Expression) -> exp.Expression:
        """A sort key as an expression over the source (for a window's ORDER BY)."""
        name = ref_name(key)
        item = self.item(name) if name is not None else None
        return key.copy() if item is None else item.copy()

    def project(self, items: list[tuple[str, exp.Expression]]) -> None:
        """Exactly these outputs, in this order."""
        self.star, self.items, self.replaced, self.excluded, self.renamed = \
            False, items, set(), [], {}

    def clean(self) -> bool:
        """Whether rows can still be filtered or grouped in this SELECT."""
        return not (self.grouped or self.qualify or self.limit is not None or self.offset)

    def select(self) -> exp.Select:
        projection: list[exp.Expression] = []
        if self.star:
            star = exp.Star()
            if self.excluded:
                star.set("except_", [field_ref(n) for n in self.excluded])
            if self.replaced:
                star.set("replace", [exp.alias_(e, identifier(n)) for n, e in self.items
                                     if n in self.replaced])
            if self.renamed:
                star.set("rename", [exp.alias_(field_ref(old), identifier(new))
                                    for old, new in self.renamed.items()])
            projection.append(star)
        projection += [_aliased(n, e) for n, e in self.items
                       if not (self.star and n in self.replaced)]
        tree = exp.Select(expressions=projection).from_(self.source, copy=False)
        if self.where:
            tree = tree.where(exp.and_(*self.where), copy=False)
        if self.group:
            tree = tree.group_by(*self.group, copy=False)
        if self.having:
            tree = tree.having(exp.and_(*self.having), copy=False)
        if self.qualify:
            tree = tree.qualify(exp.and_(*self.qualify), copy=False)
        if self.order:
            tree.set("order", _order_by(self.order))
        if self.limit is not None:
            tree = tree.limit(self.limit, copy=False)
        if self.offset:
            tree = tree.offset(self.offset, copy=False)
        return tree


def _order_by(keys: list[Ordering]) -> exp.Order:
    """PPL's order: ascending puts null first, descending puts it last."""
    return exp.Order(expressions=[exp.Ordered(this=key, desc=desc, nulls_first=not desc)
                                  for key, desc in keys])


def _is_null(expr: exp.Expression) -> exp.Is:
    return exp.Is(this=expr.copy(), expression=exp.Null())


def _row_number_at_most(partition: list[exp.Expression], order: list[Ordering],
                        count: int) -> exp.Expression:
    window = exp.Window(this=exp.RowNumber(), partition_by=[e.copy() for e in partition])
    if order:
        window.set("order", _order_by(order))
    return exp.LTE(this=window, expression=exp.Literal.number(count))


class Pipeline:
    """Folds commands into layers; opens a subquery only when SQL's clause order needs one
    (rows filtered, grouped or deduplicated after they were limited, grouped or ranked)."""

    def __init__(self, index: str) -> None:
        self.layer = Layer(source=exp.Table(this=identifier(index)))
        self.depth = 0

    def wrap(self) -> Layer:
        """The current statement as the FROM of a new one. Its row order carries over when
        every sort key is one of its outputs (a subquery's order is not kept otherwise)."""
        inner = self.layer
        carried: list[Ordering] = []
        if all(inner.has(ref_name(key)) for key, _ in inner.order):
            carried = [(key.copy(), desc) for key, desc in inner.order]
            if inner.limit is None and not inner.offset:
                inner.order = []
        self.depth += 1
        query = inner.select().subquery(f"_ppl{self.depth}", copy=False)
        self.layer = Layer(source=query, known=inner.outputs(), order=carried)
        return self.layer

    def clean(self) -> Layer:
        return self.layer if self.layer.clean() else self.wrap()

    # ---------------------------------------------------------------- commands

    def where(self, condition: exp.Expression) -> None:
        layer = self.layer
        if layer.grouped and not (layer.qualify or layer.limit is not None or layer.offset):
            layer.having.append(layer.resolve(condition))
            return
        layer = self.clean()
        layer.where.append(layer.resolve(condition))

    def fields(self, names: list[str], remove: bool) -> None:
        layer = self.layer
        if remove:
            for name in names:
                self._drop(layer, name)
            return
        chosen = [(name, layer.source_of(name)) for name in names]
        for name, _ in layer.items:
            if name not in names:
                self._inline_order(layer, name)
        layer.project(chosen)

    def _drop(self, layer: Layer, name: str) -> None:
        layer.source_of(name)  # it must exist
        if layer.item(name) is not None:
            self._inline_order(layer, name)
            layer.items = [(n, e) for n, e in layer.items if n != name]
            if name not in layer.replaced:
                return
            layer.replaced.discard(name)  # the source column it replaced goes too
        back = {new: old for old, new in layer.renamed.items()}
        if name in back:
            name = back[name]
            del layer.renamed[name]
        layer.excluded.append(name)

    @staticmethod
    def _inline_order(layer: Layer, name: str) -> None:
        """Sort keys naming an output about to go are replaced by its expression."""
        item = layer.item(name)
        if item is not None:
            layer.order = [(item.copy() if ref_name(k) == name else k, d) for k, d in layer.order]

    def eval(self, assignments: list[tuple[str, exp.Expression]]) -> None:
        layer = self.layer
        for name, expr in assignments:
            value = layer.resolve(expr)
            if layer.item(name) is not None:
                layer.items = [(n, value if n == name else e) for n, e in layer.items]
                continue
            if layer.star and (name in layer.renamed or name in layer.excluded):
                raise unknown_field(name)
            overrides = name in {ref_name(c) for c in expr.find_all(exp.Column)} \
                or (layer.known is not None and name in layer.known)
            if layer.star and overrides:
                layer.replaced.add(name)
            layer.items.append((name, value))

    def stats(self, aggregates: list[tuple[str, exp.Expression]],
              groups: list[tuple[str, exp.Expression]], nullable: bool) -> None:
        layer = self.clean()
        keys = [(name, layer.resolve(expr)) for name, expr in groups]
        values = [(name, layer.resolve(expr)) for name, expr in aggregates]
        if not nullable:
            layer.where += [exp.Not(this=_is_null(k)) for _, k in keys]
        layer.project(values + keys)
        layer.group = [k.copy() for _, k in keys]
        layer.grouped, layer.order = True, []

    def sort(self, keys: list[Ordering], count: int) -> None:
        layer = self.layer if self.layer.limit is None and not self.layer.offset else self.wrap()
        resolved = []
        for key, desc in keys:
            name = ref_name(key)
            if name is not None and layer.item(name) is not None:
                resolved.append((field_ref(name), desc))  # an output: ORDER BY its alias
            else:
                resolved.append((layer.resolve(key), desc))
        # a later sort is the primary order; earlier ones break its ties (a stable sort)
        taken = {k.sql() for k, _ in resolved}
        layer.order = resolved + [(k, d) for k, d in layer.order if k.sql() not in taken]
        if count > 0:
            layer.limit = count

    def head(self, size: int, offset: int) -> None:
        layer = self.layer
        if layer.limit is None:
            layer.limit, layer.offset = size, layer.offset + offset
            return
        layer.offset += offset
        layer.limit = max(0, min(size, layer.limit - offset))

    def rename(self, pairs: list[tuple[str, str]]) -> None:
        layer = self.layer
        for old, new in pairs:
            layer.source_of(old)  # it must exist
            if layer.item(old) is not None:
                layer.items = [(new if n == old else n, e) for n, e in layer.items]
                layer.replaced.discard(old)
                layer.order = [(field_ref(new) if ref_name(k) == old else k, d)
                               for k, d in layer.order]
                continue
            back = {n: o for o, n in layer.renamed.items()}
            layer.renamed[back.get(old, old)] = new

    def dedup(self, names: list[str], count: int, keepempty: bool) -> None:
        """The first ``count`` rows (in the current order) of each combination of values."""
        layer = self.clean()
        keys = [layer.resolve(field_ref(n)) for n in names]
        order = [(layer.key_over_source(k), d) for k, d in layer.order]
        keep = _row_number_at_most(keys, order, count)
        if keepempty:
            layer.qualify.append(exp.or_(*[_is_null(k) for k in keys], keep))
        else:
            layer.where += [exp.Not(this=_is_null(k)) for k in keys]
            layer.qualify.append(keep)

    def top(self, names: list[str], by: list[str], count: int, *, rare: bool,
            showcount: bool, countfield: str, usenull: bool) -> None:
        """The ``count`` most (``rare``: least) frequent combinations of ``names``' values,
        per combination of ``by``'s, with their count."""
        layer = self.clean()
        values = [(n, layer.resolve(field_ref(n))) for n in names]
        groups = [(n, layer.resolve(field_ref(n))) for n in by]
        if not usenull:
            layer.where += [exp.Not(this=_is_null(v)) for _, v in values]
        tally = exp.Count(this=exp.Star())
        layer.project(groups + values + ([(countfield, tally)] if showcount else []))
        layer.group = [e.copy() for _, e in groups + values]
        layer.grouped = True
        ranking = [(tally.copy(), not rare)] + [(v.copy(), False) for _, v in values]
        if groups:
            layer.qualify = [_row_number_at_most([e for _, e in groups], ranking, count)]
            layer.order = [(field_ref(n), False) for n, _ in groups]
        else:
            layer.limit = count
        key = field_ref(countfield) if showcount else tally
        layer.order += [(key.copy(), not rare)] + [(field_ref(n), False) for n, _ in values]
