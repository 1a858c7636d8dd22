"""``synonym`` and ``synonym_graph`` with inline rules in Solr format.

Each word of a rule is analysed by the chain that comes before the filter (tokenizer and
earlier filters), as ES builds its SynonymMap. Rules whose sides are single tokens are
built exactly: the token and its synonyms share one position, as Lucene emits them (the
original first, type ``word``, then the others, type ``SYNONYM``). A multi-word rule needs
Lucene's token graphs at index and query time, which this engine cannot reproduce, so it is
refused by name rather than approximated.
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


def synonym(spec: dict[str, Any], name: str, analyze: Callable[[str], list[str]]) -> TokenFilter:
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
    table: dict[str, list[str]] = {}
    keep: dict[str, bool] = {}

    def word(text: str) -> str | None:
        terms = analyze(text.strip())
        if len(terms) == 1:
            return terms[0]
        if lenient:
            return None
        if not terms:
            raise IllegalArgument(f"failed to build synonyms: term: {text.strip()} was "
                                  f"completely eliminated by analyzer")
        raise IllegalArgument(f"not supported by Loghaven: multi-word synonym [{text.strip()}] "
                              f"in filter [{name}]")

    def add(source: str | None, target: str | None, include_original: bool) -> None:
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
            inputs = [word(w) for w in _split_unescaped(sides[0], ",") if w.strip()]
            outputs = [word(w) for w in _split_unescaped(sides[1], ",") if w.strip()]
            for source in inputs:
                for target in outputs:
                    add(source, target, False)
            continue
        words = [word(w) for w in _split_unescaped(rule, ",") if w.strip()]
        if expand:
            for source in words:
                for target in words:
                    if source != target:
                        add(source, target, True)
        else:
            for source in words:
                add(source, words[0], False)

    def apply(tokens: list[Token]) -> list[Token]:
        out: list[Token] = []
        for token in tokens:
            targets = table.get(token.text)
            if targets is None or token.keyword:
                out.append(token)
                continue
            if keep.get(token.text, False):
                out.append(token)
            for target in targets:
                if keep.get(token.text, False) and target == token.text:
                    continue
                synonym_token = token.with_text(target)
                synonym_token.type = "SYNONYM"
                out.append(synonym_token)
        return out

    return apply


def synonym_list(spec: dict[str, Any]) -> list[str] | None:
    return setting_list(spec, "synonyms")
