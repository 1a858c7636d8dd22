"""From SQL text to a resolved statement: its indices, their schemas, and every column
reference rewritten to the field it names.

What users paste reads as OpenSearch reads it: ``FROM awswaf-*`` names an index pattern,
``httpRequest.clientIp`` a dotted field (sqlglot sees table ``httpRequest``), and a
double-quoted name that is no field a string. After resolution a field reference is one
quoted identifier holding the dotted path (qualified by its table's alias in a JOIN), the
form the push-down and the in-process engine both read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.tokens import TokenType

from loghaven.search.service import SearchService
from loghaven.sql.dialect import OpenSearchSQL, parse
from loghaven.sql.errors import SemanticError, SqlError
from loghaven.sql.schema import Schema, schema_of

#: An unquoted index name after FROM/JOIN that sqlglot would split (``awswaf-*``).
_INDEX_NAME = re.compile(r"(?i)\b(FROM|JOIN)(\s+)([^\s,;()`\"']+)")
_ALIAS_TAIL = re.compile(r"(?is)^(.*?)\s+(?:AS\s+)?(`[^`]*`|\"[^\"]*\"|'[^']*'|[\w$]+)\s*$")


@dataclass
class Source:
    """One index of the FROM clause: its expression, the name its rows take in the
    statement, its schema, and the fields the statement reads from it."""

    index: str
    alias: str
    schema: Schema
    fields: list[str] = field(default_factory=list)


@dataclass
class Statement:
    """A resolved SELECT: ``names`` are the select items as written (``count(*)``)."""

    tree: exp.Select
    sources: list[Source]
    names: list[str]

    def source_of(self, column: exp.Column) -> Source:
        if len(self.sources) == 1:
            return self.sources[0]
        return next(s for s in self.sources if s.alias == column.table)


def quote_index_names(sql: str) -> str:
    """Backtick the index names after FROM/JOIN that hold ``-``, ``*`` or ``.``."""
    def quote(match: re.Match[str]) -> str:
        name = match.group(3)
        if any(c in name for c in "-*.:"):
            return f"{match.group(1)}{match.group(2)}`{name}`"
        return match.group(0)
    return _INDEX_NAME.sub(quote, sql)


def parse_statement(sql: str) -> exp.Expression:
    return parse(quote_index_names(sql))


def resolve(search: SearchService, tree: exp.Expression, sql: str | None,
            parameters: list[dict[str, Any]]) -> Statement:
    """The statement ``tree`` (parsed from ``sql``, or built by PPL when ``sql`` is None)
    with its parameters bound and its columns resolved against its indices' schemas."""
    if not isinstance(tree, exp.Select):
        kind = tree.key.upper() if isinstance(tree, exp.Expression) else str(tree)
        raise SqlError(f"Unsupported statement [{kind}]: only SELECT, SHOW TABLES and "
                       f"DESCRIBE TABLES are supported.", type="UnsupportedOperationException")
    _bind(tree, parameters)
    sources = _sources(search, tree)
    names = _item_names(tree, sql)
    quoted = _double_quoted(sql) if sql else set()
    _expand_star(tree, sources, names)
    _resolve_columns(tree, sources, quoted)
    return Statement(tree, sources, names)


def _bind(tree: exp.Select, parameters: list[dict[str, Any]]) -> None:
    holders = list(tree.find_all(exp.Placeholder))
    if len(holders) != len(parameters):
        if holders:
            raise SqlError(f"The statement has {len(holders)} '?' placeholders but "
                           f"{len(parameters)} parameters were given.")
        return
    for holder, param in zip(holders, parameters, strict=True):
        holder.replace(_literal(param))


def _literal(param: dict[str, Any]) -> exp.Expression:
    value = param.get("value") if isinstance(param, dict) else None
    kind = str(param.get("type", "")).lower() if isinstance(param, dict) else ""
    if value is None or kind == "null":
        return exp.Null()
    if kind in ("boolean",) or isinstance(value, bool):
        return exp.Boolean(this=str(value).lower() == "true")
    if kind in ("integer", "long", "short", "byte", "float", "double") or \
            isinstance(value, int | float):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SqlError(f"parameter value [{value}] is no {kind}") from None
        return exp.Literal.number(int(number) if number.is_integer() and
                                  kind not in ("float", "double") else number)
    return exp.Literal.string(str(value))


def _sources(search: SearchService, tree: exp.Select) -> list[Source]:
    from_ = tree.args.get("from_") or tree.args.get("from")
    if from_ is None:
        return []
    tables = [from_.this] + [join.this for join in tree.args.get("joins") or []]
    if len(tables) > 2:
        raise SqlError("Only one-level JOINs between two indices are supported.",
                       type="UnsupportedOperationException")
    sources = []
    for table in tables:
        if not isinstance(table, exp.Table):
            raise SqlError("Subqueries in FROM are not supported.",
                           type="UnsupportedOperationException")
        index = ".".join(p.name for p in table.parts)
        sources.append(Source(index, table.alias_or_name, schema_of(search, index)))
    if len(sources) == 2 and sources[0].alias == sources[1].alias:
        raise SemanticError(f"Both sides of the JOIN are named [{sources[0].alias}]: give "
                            f"them different aliases.")
    return sources


def _item_names(tree: exp.Select, sql: str | None) -> list[str]:
    """Each select item as the user wrote it (its alias aside)."""
    written = _select_list(sql) if sql else None
    names = []
    for i, item in enumerate(tree.expressions):
        inner = item.this if isinstance(item, exp.Alias) else item
        text = None
        if written is not None and len(written) == len(tree.expressions):
            text = written[i]
            if isinstance(item, exp.Alias):
                match = _ALIAS_TAIL.match(text)
                text = match.group(1).strip() if match else None
        names.append(text or inner.sql(dialect=OpenSearchSQL))
    return names


def _select_list(sql: str) -> list[str] | None:
    """The texts of the top-level select items of ``sql``, or None if not found."""
    tokens = list(OpenSearchSQL().tokenize(sql))
    depth, start, items = 0, None, []
    item_start = None
    for i, token in enumerate(tokens):
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        if depth:
            continue
        if start is None:
            if token.token_type == TokenType.SELECT:
                start = i
            continue
        if item_start is None:
            if token.token_type in (TokenType.DISTINCT, TokenType.ALL):
                continue
            item_start = token.start
        if token.token_type in (TokenType.COMMA, TokenType.FROM):
            items.append(sql[item_start:token.start].strip())
            item_start = None
            if token.token_type == TokenType.FROM:
                return items
    if item_start is not None:
        items.append(sql[item_start:].strip())
        return items
    return None


def _double_quoted(sql: str) -> set[str]:
    return {token.text for token in OpenSearchSQL().tokenize(sql)
            if token.token_type == TokenType.IDENTIFIER and sql[token.start] == '"'}


def _expand_star(tree: exp.Select, sources: list[Source], names: list[str]) -> None:
    items: list[exp.Expression] = []
    out_names: list[str] = []
    for item, name in zip(tree.expressions, names, strict=True):
        star_of = _star_table(item)
        if star_of is None:
            items.append(item)
            out_names.append(name)
            continue
        for source in sources:
            if star_of not in ("", source.alias):
                continue
            for leaf in source.schema.leaves():
                items.append(exp.column(exp.to_identifier(leaf.name, quoted=True),
                                        table=source.alias if len(sources) > 1 else None))
                out_names.append(leaf.name)
    tree.set("expressions", items)
    names[:] = out_names


def _star_table(item: exp.Expression) -> str | None:
    """'' for ``*``, the table for ``t.*``, None for any other item."""
    if isinstance(item, exp.Star):
        return ""
    if isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
        return item.table
    return None


def _resolve_columns(tree: exp.Select, sources: list[Source], quoted: set[str]) -> None:
    aliases = {item.alias for item in tree.expressions if isinstance(item, exp.Alias)}
    for column in list(tree.find_all(exp.Column)):
        if isinstance(column.this, exp.Star):
            continue
        parts = [p.name for p in column.parts]
        source, path = _field_of(parts, sources)
        if source is not None:
            if path not in source.fields:
                source.fields.append(path)
            column.replace(exp.column(exp.to_identifier(path, quoted=True),
                                      table=source.alias if len(sources) > 1 else None))
        elif len(parts) == 1 and parts[0] in aliases:
            continue
        elif len(parts) == 1 and parts[0] in quoted:
            column.replace(exp.Literal.string(parts[0]))
        else:
            where = ", ".join(s.index for s in sources) or "the statement"
            raise SemanticError(f"can't resolve Symbol(name={'.'.join(parts)}) in type env: "
                                f"no such field in [{where}]")


def _field_of(parts: list[str], sources: list[Source]) -> tuple[Source | None, str]:
    path = ".".join(parts)
    if len(sources) == 1 and path in sources[0].schema:
        return sources[0], path
    if len(parts) > 1:
        for source in sources:
            if parts[0] == source.alias or parts[0] == source.index:
                rest = ".".join(parts[1:])
                if rest in source.schema:
                    return source, rest
    matches = [s for s in sources if path in s.schema]
    if len(matches) > 1:
        raise SemanticError(f"Reference [{path}] is ambiguous: both indices have it; "
                            f"qualify it with a table alias.")
    return (matches[0], path) if matches else (None, path)
