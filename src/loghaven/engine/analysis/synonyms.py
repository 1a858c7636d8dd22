"""``synonym`` and ``synonym_graph`` with inline rules in Solr format.

Each word of a rule is analysed by the chain that comes before the filter (tokenizer and
earlier filters), as ES builds its SynonymMap. Rules whose sides are single tokens are built
exactly: the token and its synonyms share one position, as Lucene emits them (the original
first, type ``word``, then the others, type ``SYNONYM``).

A rule may replace a sequence of words by one (``sea biscuit => seabiscuit``): the new token
takes the first word's position and spans the others; with ``synonym`` the following tokens
move up to close the gap, with ``synonym_graph`` they keep their positions. A rule whose
*output* has several words needs Lucene's token graphs at query time, which this engine
cannot reproduce, so it is refused by name rather than approximated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loghaven.engine.analysis.tokens import Token, setting_bool, setting_list
from loghaven.errors import IllegalArgument

TokenFilter = Callable[[list[Token]], list[Token]]


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, i = [], [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        if text.startswith(separator, i):
            parts.append("".join(current))
            current = []
            i += len(separator)
            continue
        current.append(text[i])
        i += 1
    parts.append("".join(current))
    return parts


def synonym(spec: dict[str, Any], name: str, analyze: Callable[[str], list[str]],
            graph: bool = False) -> TokenFilter:
    for unsupported in ("synonyms_path", "synonyms_set"):
        if unsupported in spec:
            raise IllegalArgument(f"not supported by Loghaven: [{unsupported}] of filter "
                                  f"[{name}] (give the rules inline in [synonyms])")
    if str(spec.get("format", "solr")) != "solr":
        raise IllegalArgument(f"not supported by Loghaven: synonym format "
                              f"[{spec['format']}] of filter [{name}]")
    rules = spec.get("synonyms")
    if rules is None:
        raise IllegalArgument("synonym requires either `synonyms`, `synonyms_set` or "
                              "`synonyms_path` to be configured")
    rules = rules if isinstance(rules, list) else [str(rules)]
    expand = setting_bool(spec, "expand", True, name)
    lenient = setting_bool(spec, "lenient", False, name)
    table: dict[tuple[str, ...], list[str]] = {}
    keep: dict[tuple[str, ...], bool] = {}

    def words_of(text: str) -> tuple[str, ...] | None:
        terms = analyze(text.strip())
        if terms:
            return tuple(terms)
        if lenient:
            return None
        raise IllegalArgument(f"failed to build synonyms: term: {text.strip()} was "
                              f"completely eliminated by analyzer")

    def single(text: str, terms: tuple[str, ...] | None) -> str | None:
        """An output must be one token: several need Lucene's token graphs at search time."""
        if terms is None or len(terms) == 1:
            return terms[0] if terms else None
        if lenient:
            return None
        raise IllegalArgument(f"not supported by Loghaven: multi-word synonym [{text.strip()}] "
                              f"in filter [{name}] (only as the input of a rule that replaces "
                              f"it by one word)")

    def add(source: tuple[str, ...] | None, target: str | None, include_original: bool) -> None:
        if source is None or target is None:
            return
        targets = table.setdefault(source, [])
        if target not in targets:
            targets.append(target)
        keep[source] = keep.get(source, False) or include_original

    for rule in rules:
        rule = str(rule).strip()
        if not rule or rule.startswith("#"):
            continue
        sides = _split_unescaped(rule, "=>")
        if len(sides) > 2:
            raise IllegalArgument(f"more than one explicit mapping specified on the same line: "
                                  f"[{rule}]")
        if len(sides) == 2:
            inputs = [words_of(w) for w in _split_unescaped(sides[0], ",") if w.strip()]
            outputs = [single(w, words_of(w)) for w in _split_unescaped(sides[1], ",")
                       if w.strip()]
            for source in inputs:
                for target in outputs:
                    add(source, target, False)
            continue
        entries = [(w, words_of(w)) for w in _split_unescaped(rule, ",") if w.strip()]
        if expand:
            words = [single(text, terms) for text, terms in entries]
            for source in words:
                for target in words:
                    if source != target and source is not None:
                        add((source,), target, True)
        elif entries:
            first = single(*entries[0])
            for _, terms in entries:
                add(terms, first, False)
    longest = max((len(key) for key in table), default=1)

    def apply(tokens: list[Token]) -> list[Token]:
        out: list[Token] = []
        i = 0
        shift = 0  # ``synonym`` (not graph): positions a replaced sequence gave up
        while i < len(tokens):
            tokens[i].position -= shift
            token = tokens[i]
            matched = 0
            if not token.keyword:
                for size in range(min(longest, len(tokens) - i), 0, -1):
                    if tuple(t.text for t in tokens[i:i + size]) in table:
                        matched = size
                        break
            if not matched:
                out.append(token)
                i += 1
                continue
            key = tuple(t.text for t in tokens[i:i + matched])
            for later in tokens[i + 1:i + matched]:
                later.position -= shift
            last = tokens[i + matched - 1]
            span = last.position - token.position + 1
            if keep.get(key, False):
                out.extend(tokens[i:i + matched])
            for target in table[key]:
                if keep.get(key, False) and (target,) == key:
                    continue
                synonym_token = Token(target, token.start, last.end, token.position, "SYNONYM",
                                      span)
                out.append(synonym_token)
            if not graph and not keep.get(key, False):
                shift += span - 1
            i += matched
        return out

    return apply


def synonym_list(spec: dict[str, Any]) -> list[str] | None:
    return setting_list(spec, "synonyms")
