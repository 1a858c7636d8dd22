"""Lucene query syntax → Elasticsearch query DSL.

``query_string`` bodies, the ``q=`` URL parameter and ``simple_query_string`` all carry a query
in Lucene syntax. Rather than compiling that syntax straight to the engine, this package rewrites
it into the small subset of the ES query DSL that the DSL compiler already understands (``bool``,
``match``, ``match_phrase``, ``multi_match``, ``range``, ``wildcard``, ``regexp``, ``fuzzy``,
``prefix``, ``exists``, ``match_all``, ``match_none``, with ``boost`` keys). That keeps a single
path from DSL to engine, and lets the compiler decide per field type how a value is analysed or
coerced: every value is left as the string the user typed.

The classic syntax follows Lucene's ``QueryParser.jj`` token rules (longest match, lexical modes
for ranges and boosts) and ``QueryParserBase.addClause`` for how AND/OR/NOT/+/- and the default
operator decide each clause's occurrence, with Elasticsearch's ``QueryStringQueryParser``
additions (``_exists_``, ``field:*``, ``>=x``, multi-field expansion). The simple syntax follows
Lucene's ``SimpleQueryParser`` state machine, quirks included, and never fails.

Representation choices (the contract with the DSL compiler):

* Field names in the output may be *patterns* containing ``*`` (``"*"`` itself meaning all
  fields, ``"http*.uri"``...). They come from ``default_field="*"``, from ``fields`` entries or
  from the query itself (``http*.uri:x``, ``city.\\*:x``). The compiler expands a pattern
  against the mapping, leniently (a value that does not fit a field's type matches nothing on
  that field), and a clause on a pattern matches when any expanded field matches. ``fields``
  entries may carry a ``^boost`` suffix, kept as-is inside ``multi_match`` ``fields`` lists.
* Free text (a bare term, or a run of bare terms, which Elasticsearch analyses as one text) on a
  single concrete field becomes ``{"match": {f: {"query": text}}}``; a quoted phrase becomes
  ``{"match_phrase": {f: {"query": text}}}`` (plus ``"slop"`` when non-zero). On several fields
  or on a pattern (``*`` included) it becomes ``{"multi_match": {"query": text, "fields": [...],
  "type": "best_fields" | "phrase"}}``. When the default operator is AND, ``match`` and
  ``multi_match`` carry ``"operator": "and"``: that is how Lucene combines the several tokens
  one text may analyse into.
* Wildcard, prefix, regexp, fuzzy, range and exists clauses on several fields become a ``bool``
  ``should`` with one clause per field entry (Elasticsearch uses a ``dis_max``; only scoring
  differs). Field boosts become ``boost`` on the per-field clause.
* ``field:*`` → ``exists``; ``*`` on all fields (``*:*``, or ``*`` with default field ``*``) →
  ``match_all``; ``field:[* TO *]`` → ``exists``; an empty query → ``match_all`` for
  ``query_string`` (Elasticsearch itself matches nothing) and ``match_none`` for
  ``simple_query_string``; a query whose every clause is dropped → ``match_none``.
* A ``bool`` with only ``must_not`` clauses stands for "everything except" (ES semantics).
  Single-clause ``must``/``should`` wrappers are unwrapped.

Deliberate differences from Elasticsearch: unescaped ``*`` is accepted in field names
(``http*.uri:x``; ES requires ``http\\*.uri``); a term starting with ``<``/``>`` never joins a
whitespace run, so ``age:(>=10 <20)`` is two ranges rather than one garbled bound; a lone
``+``/``-``/``!`` followed by whitespace is dropped (it analyses to nothing on text fields);
``field:[* TO *]`` is ``exists``. Under default AND, a run such as ``a b OR c`` stays one
``match`` (``(a AND b) OR c``) where Lucene, knowing the tokens, makes only ``b`` optional.
"""

from loghaven.search.lucene.classic import query_string_to_dsl
from loghaven.search.lucene.simple import simple_query_string_to_dsl

__all__ = ["query_string_to_dsl", "simple_query_string_to_dsl"]
