"""The SQL dialect users write against OpenSearch's SQL plugin, as a sqlglot dialect.

MySQL's grammar (backticks, ``DATE_FORMAT``'s ``%Y-%m-%d %h:%i:%s``, ``LIMIT a, b``) with
double quotes as identifiers too, as Athena/Presto queries pasted from the seed use them
(``"timestamp"/1000``); a double-quoted name that is no field is read back as a string by
the planner, as OpenSearch does. ``MATCH(field, 'text')`` is OpenSearch's relevance
function, not MySQL's ``MATCH ... AGAINST``.
"""

from __future__ import annotations

from sqlglot import exp, parse_one
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ParseError

from loghaven.sql.errors import SyntaxError_


class OpenSearchSQL(MySQL):
    class Tokenizer(MySQL.Tokenizer):
        IDENTIFIERS = ["`", '"']
        QUOTES = ["'"]

    class Parser(MySQL.Parser):
        FUNCTION_PARSERS = {name: parser for name, parser in MySQL.Parser.FUNCTION_PARSERS.items()
                            if name != "MATCH"}


def parse(sql: str) -> exp.Expression:
    """One statement, or the plugin's 400 naming where it stopped parsing."""
    try:
        tree = parse_one(sql, read=OpenSearchSQL)
    except ParseError as error:
        raise SyntaxError_(str(error).replace("\x1b[4m", "").replace("\x1b[0m", "")) from None
    if tree is None:
        raise SyntaxError_("empty statement")
    return tree
