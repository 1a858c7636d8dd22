"""OpenSearch's Piped Processing Language, compiled onto one SQL statement.

``source=waf | where country = 'NL' | stats count() by clientIp | sort - count() | head 10``
becomes ``SELECT COUNT(*) AS `count()`, clientIp FROM waf WHERE country = 'NL' GROUP BY
clientIp ORDER BY `count()` DESC LIMIT 10`` in the :class:`OpenSearchSQL` dialect's AST, which
the SQL core plans exactly as it plans SQL (push-down first, DuckDB for the rest). Each
command folds into the statement built so far and opens a subquery only when SQL's clause
order forces one (a ``where`` after ``head``, a ``stats`` over a ``dedup``); so the
common pipelines stay one flat SELECT the core can push down whole.

The parser is hand-written: :mod:`.lexer` (tokens, the plugin's errors), :mod:`.parser`
(one method per command), :mod:`.expressions` (recursive descent), :mod:`.statement` (the
SELECT the commands fold into). Column names follow the PPL plugin: an aggregation without an
alias is named by its text as written (``count()``, ``avg(age)``). There is no default
LIMIT: the core refuses answers over ``plugins.query.size_limit`` rather than cut them.
"""

from __future__ import annotations

from sqlglot import exp

from loghaven.sql.errors import SyntaxError_
from loghaven.sql.ppl.lexer import REASON
from loghaven.sql.ppl.parser import Parser


def compile(text: str) -> exp.Select:
    """One PPL query as one SELECT in the OpenSearchSQL dialect's AST."""
    if not text.strip():
        raise SyntaxError_("empty query", reason=REASON)
    return Parser(text.strip().rstrip(";")).query()
