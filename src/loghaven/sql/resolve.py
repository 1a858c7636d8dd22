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
from sqlglot.tokens import Token, TokenType

from loghaven.search.service import SearchService
from loghaven.sql.dialect import OpenSearchSQL, parse
from loghaven.sql.errors import SemanticError, SqlError
from loghaven.sql.schema import Schema, schema_of
from loghaven.sql.values import duck_type

#: An unquoted index name after FROM/JOIN that sqlglot would split (``awswaf-*``).
_INDEX_NAME = re.compile(r"(?i)\b(FROM|JOIN)(\s+)([^\s,;()`\"']+)")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"[^\"]*\"|`[^`]*`")
_OTHER_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT", "CREATE",
                          "DROP", "ALTER", "TRUNCATE", "RENAME", "GRANT", "REVOKE", "SET",
                          "USE", "CALL", "LOAD", "COPY", "ATTACH", "EXPORT", "IMPORT"})
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
    #: The FROM is a subquery (PPL opens them): the statement runs in DuckDB over the rows
    #: of its innermost SELECT's index.
    nested: bool = False

    @property
    def base(self) -> exp.Select:
        """The innermost SELECT, the one that reads the index."""
        return base_select(self.tree)


def quote_index_names(sql: str) -> str:
    """Backtick the index names after FROM/JOIN that hold ``-``, ``*``, ``.`` or ``:``.

    Quoted text is left alone (``'from a-b'`` is a string), and inside parentheses a dotted
    name is left too: there ``FROM`` may be ``EXTRACT(YEAR FROM t.ts)``'s."""
    out, depth, position = [], 0, 0
    for quoted in [*_QUOTED.finditer(sql), None]:
        end = quoted.start() if quoted is not None else len(sql)
        out.append(_quote_in(sql[position:end], depth))
        depth += sql.count("(", position, end) - sql.count(")", position, end)
        if quoted is not None:
            out.append(quoted.group(0))
            position = quoted.end()
    return "".join(out)


def _quote_in(text: str, depth: int) -> str:
    def quote(match: re.Match[str]) -> str:
        name = match.group(3)
        nested = depth + text.count("(", 0, match.start()) - text.count(")", 0, match.start())
        if any(c in name for c in "-*:") or ("." in name and nested == 0):
            return f"{match.group(1)}{match.group(2)}`{name}`"
        return match.group(0)
    return _INDEX_NAME.sub(quote, text)


def parse_statement(sql: str) -> exp.Expression:
    """The statement of ``sql``; anything but a query is refused by its verb first (an
    ``INSERT INTO logs-*`` need not parse to be named unsupported)."""
    verb = sql.lstrip(" \t\r\n(").split(None, 1)[0].upper() if sql.strip() else ""
    if verb in _OTHER_VERBS:
        raise _unsupported(verb)
    return parse(quote_index_names(sql))


def _unsupported(kind: str) -> SqlError:
    return SqlError(f"Unsupported statement [{kind}]: only SELECT, SHOW TABLES and "
                    f"DESCRIBE TABLES are supported.", type="UnsupportedOperationException")


def resolve(search: SearchService, tree: exp.Expression, sql: str | None,
            parameters: list[dict[str, Any]]) -> Statement:
    """The statement ``tree`` (parsed from ``sql``, or built by PPL when ``sql`` is None)
    with its parameters bound and its columns resolved against its indices' schemas."""
    if not isinstance(tree, exp.Select):
        raise _unsupported(tree.key.upper() if isinstance(tree, exp.Expression) else str(tree))
    _bind(tree, parameters)
    base = base_select(tree)
    _refuse_other_subqueries(tree, base)
    sources = _sources(search, base)
    if base is not tree and len(sources) > 1:
        raise SqlError("A JOIN inside a subquery is not supported.",
                       type="UnsupportedOperationException")
    tokens = list(OpenSearchSQL().tokenize(sql)) if sql else []
    names = _item_names(tree, sql, tokens)
    quoted = _double_quoted(sql, tokens) if sql else set()
    if base is tree:
        _expand_star(tree, sources, names)
    elif any(_star_table(item) is not None for s in tree.find_all(exp.Select)
             for item in s.expressions):
        sources[0].fields.extend(f.name for f in sources[0].schema.leaves())
    _resolve_columns(tree, sources, quoted)
    return Statement(tree, sources, names, nested=base is not tree)


def _refuse_other_subqueries(tree: exp.Select, base: exp.Select) -> None:
    """Subqueries are supported in FROM only (a chain down to one index, as PPL writes
    them); WITH, and subqueries in WHERE or the select list, are refused."""
    chain = {id(tree)}
    node = tree
    while node is not base:
        node = node.args["from_"].this.this
        chain.add(id(node))
    if any(select.args.get("with_") or select.args.get("with") for select in
           tree.find_all(exp.Select)):
        raise SqlError("WITH (common table expressions) is not supported.",
                       type="UnsupportedOperationException")
    if any(id(select) not in chain for select in tree.find_all(exp.Select)):
        raise SqlError("Subqueries are supported in FROM only, not in WHERE, HAVING or the "
                       "select list.", type="UnsupportedOperationException")


def base_select(tree: exp.Select) -> exp.Select:
    """The SELECT whose FROM is an index: ``tree`` itself, or the innermost of the
    subqueries it reads from."""
    from_ = tree.args.get("from_")
    while from_ is not None and isinstance(from_.this, exp.Subquery) \
            and isinstance(from_.this.this, exp.Select):
        tree = from_.this.this
        from_ = tree.args.get("from_")
    return tree


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
    from_ = tree.args.get("from_")
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


def _item_names(tree: exp.Select, sql: str | None, tokens: list[Token]) -> list[str]:
    """Each select item as the user wrote it (its alias aside); for PPL, which has no
    text of its own for a SELECT, the alias or else the expression."""
    written = _select_list(sql, tokens) if sql else None
    names = []
    for i, item in enumerate(tree.expressions):
        inner = item.this if isinstance(item, exp.Alias) else item
        text = None
        if written is not None and len(written) == len(tree.expressions):
            text = written[i]
            if isinstance(item, exp.Alias):
                match = _ALIAS_TAIL.match(text)
                text = match.group(1).strip() if match else None
        if text is None and sql is None and isinstance(item, exp.Alias):
            text = item.alias  # PPL names a column by its alias (``count()``, ``b2``)
        names.append(text or inner.sql(dialect=OpenSearchSQL))
    return names


def _select_list(sql: str, tokens: list[Token]) -> list[str] | None:
    """The texts of the top-level select items of ``sql`` (``tokens``), or None if not
    found."""
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


def _double_quoted(sql: str, tokens: list[Token]) -> set[str]:
    """The identifiers ``sql`` (``tokens``) writes in double quotes."""
    return {token.text for token in tokens
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
        if isinstance(item, exp.Star) and (item.args.get("replace") or item.args.get("rename")):
            raise SqlError("SELECT * REPLACE/RENAME is not supported.",
                           type="UnsupportedOperationException")
        excepted = {".".join(p.name for p in c.parts) for c in item.args.get("except_") or []} \
            if isinstance(item, exp.Star) else set()
        for source in sources:
            if star_of not in ("", source.alias):
                continue
            for leaf in source.schema.leaves():
                if leaf.name in excepted:
                    continue
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
    aliases = {alias.alias for alias in tree.find_all(exp.Alias)}
    subqueries = {sub.alias for sub in tree.find_all(exp.Subquery) if sub.alias}
    for column in list(tree.find_all(exp.Column)):
        if isinstance(column.this, exp.Star):
            continue
        parts = [p.name for p in column.parts]
        if len(parts) > 1 and parts[0] in subqueries:
            parts = parts[1:]
        source, path = _field_of(parts, sources)
        if source is not None:
            if path not in source.fields:
                source.fields.append(path)
            resolved = exp.column(exp.to_identifier(path, quoted=True),
                                  table=source.alias if len(sources) > 1 else None)
            if duck_type(source.schema.fields[path].es_type) == "BIGINT":
                resolved.type = exp.DataType.build("BIGINT")  # for integer division
            column.replace(resolved)
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
