"""An index's analysis: ``index.analysis.{analyzer,normalizer,tokenizer,filter,char_filter}``
parsed and checked once, as ES's AnalysisRegistry does when it creates the index.

Names resolve to the index's own components first, then to the built-in ones. A component
type or parameter this engine cannot reproduce exactly at both index and search time is an
``illegal_argument_exception`` that names it ("not supported by Loghaven: ...").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loghaven.engine.analysis import char_filters, language, token_filters, tokenizers
from loghaven.engine.analysis.char_filters import identity_offsets
from loghaven.engine.analysis.synonyms import synonym
from loghaven.engine.analysis.tokens import Token, setting_int, setting_list
from loghaven.errors import IllegalArgument

PREFIX = "index.analysis."
KINDS = ("analyzer", "normalizer", "tokenizer", "filter", "char_filter")
#: ES inserts this position gap between the values of a text field's array.
POSITION_GAP = 100


@dataclass
class Stage:
    """One named step of a chain, kept for ``_analyze``'s ``explain``."""

    name: str
    run: Any


@dataclass
class Analyzer:
    """Char filters, a tokenizer and token filters, with the names ``explain`` shows."""

    name: str
    tokenizer: Stage
    filters: list[Stage] = field(default_factory=list)
    char_filters: list[Stage] = field(default_factory=list)
    position_gap: int = POSITION_GAP
    custom: bool = False
    #: The built-in ``standard`` analyzer as text fields index it by default (engine/words.py).
    engine_standard: bool = False

    def filtered_text(self, text: str) -> tuple[str, list[int] | None, list[str]]:
        if not self.char_filters:
            return text, None, []
        origin = identity_offsets(text)
        stages = []
        for stage in self.char_filters:
            text, origin = stage.run(text, origin)
            stages.append(text)
        return text, origin, stages

    def tokenize(self, text: str) -> list[Token]:
        filtered, origin, _ = self.filtered_text(text)
        tokens = self.tokenizer.run(filtered)
        if origin is not None:
            for token in tokens:
                start, end = token.start, token.end
                token.start = origin[start]
                token.end = origin[end - 1] + 1 if end > start else origin[start]
        return tokens

    def tokens(self, text: str, filter_count: int | None = None) -> list[Token]:
        tokens = self.tokenize(text)
        for stage in self.filters[:filter_count]:
            tokens = stage.run(tokens)
        return tokens

    def terms(self, text: str) -> list[str]:
        return [t.text for t in self.tokens(text)]


@dataclass
class Normalizer:
    """A keyword's normalizer: char filters and one-token filters over the whole value."""

    name: str
    filters: list[Stage] = field(default_factory=list)
    char_filters: list[Stage] = field(default_factory=list)

    def normalize(self, text: str) -> str:
        if self.char_filters:
            origin = identity_offsets(text)
            for stage in self.char_filters:
                text, origin = stage.run(text, origin)
        tokens = [Token(text, 0, len(text), 0)]
        for stage in self.filters:
            tokens = stage.run(tokens)
        return tokens[0].text if tokens else ""


def _spec(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"type": value}


def _names(spec: dict[str, Any], key: str) -> list[str]:
    """A list of component names; a string is split on commas as ES's ``getAsList`` does."""
    value = spec.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


class IndexAnalysis:
    """The analysis components of one index (or of none: the built-in ones only)."""

    def __init__(self, flat: dict[str, Any] | None = None) -> None:
        flat = flat or {}
        self.definitions: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
        for key, value in flat.items():
            if not key.startswith(PREFIX):
                continue
            parts = key[len(PREFIX):].split(".")
            if len(parts) < 3 or parts[0] not in KINDS:
                raise IllegalArgument(f"unknown setting [{key}] please check that any required "
                                      f"plugins are installed, or check the breaking changes "
                                      f"documentation for removed settings")
            kind, name, param = parts[0], ".".join(parts[1:-1]), parts[-1]
            self.definitions[kind].setdefault(name, {})[param] = value
        self.custom = any(self.definitions.values())
        self.max_ngram_diff = int(flat.get("index.max_ngram_diff", 1))
        self.max_shingle_diff = int(flat.get("index.max_shingle_diff", 3))
        self._analyzers: dict[str, Analyzer] = {}
        self._normalizers: dict[str, Normalizer] = {}
        for name in self.definitions["analyzer"]:
            self._analyzers[name] = self._build_analyzer(name, self.definitions["analyzer"][name])
        for name in self.definitions["normalizer"]:
            self._normalizers[name] = self._build_normalizer(
                name, self.definitions["normalizer"][name])
        for kind, build in (("tokenizer", self.tokenizer), ("filter", self._check_filter),
                            ("char_filter", self.char_filter)):
            for name in self.definitions[kind]:
                build(name)  # every defined component is checked, used or not

    # --- lookups ----------------------------------------------------------------------------

    def analyzer(self, name: str) -> Analyzer | None:
        found = self._analyzers.get(name)
        if found is not None:
            return found
        return builtin_analyzer(name)

    def normalizer(self, name: str) -> Normalizer | None:
        found = self._normalizers.get(name)
        if found is not None:
            return found
        if name == "lowercase":
            return LOWERCASE
        return None

    def _component(self, section: str, ref: Any) -> dict[str, Any]:
        """The definition ``ref`` names in the index's analysis ``section`` (``tokenizer``,
        ``char_filter``, ``filter``), or ``ref`` itself when it is defined inline."""
        spec = self.definitions[section].get(ref) if isinstance(ref, str) else None
        return spec if spec is not None else _spec(ref)

    def _no_factory(self, section: str, ref: Any, where: str | None, kind: str, name: str,
                    unsupported: frozenset[str] | set[str] = frozenset()) -> IllegalArgument:
        """ES's error for a component Loghaven cannot build: one it knows but does not do,
        a name the index does not define, or an unknown type."""
        label = "token filter" if section == "filter" else section
        if kind in unsupported:
            return IllegalArgument(f"not supported by Loghaven: {label} type [{kind}]")
        if isinstance(ref, str) and ref not in self.definitions[section]:
            return IllegalArgument(f"Custom Analyzer [{where}] failed to find {section} under "
                                   f"name [{ref}]" if where else
                                   f"failed to find global {section} under [{ref}]")
        return IllegalArgument(f"Unknown {section} type [{kind}] for [{name}]")

    def tokenizer(self, ref: Any, where: str | None = None) -> Stage:
        spec = self._component("tokenizer", ref)
        name = ref if isinstance(ref, str) else "_anonymous_tokenizer"
        kind = str(spec.get("type", ""))
        kind = tokenizers.ALIASES.get(kind, kind)
        factory = tokenizers.FACTORIES.get(kind)
        if factory is None:
            raise self._no_factory("tokenizer", ref, where, kind, name, tokenizers.UNSUPPORTED)
        if kind in ("ngram", "edge_ngram"):
            return Stage(name, factory(spec, name, self.max_ngram_diff))
        return Stage(name, factory(spec, name))

    def char_filter(self, ref: Any, where: str | None = None) -> Stage:
        spec = self._component("char_filter", ref)
        name = ref if isinstance(ref, str) else "_anonymous_charfilter"
        kind = str(spec.get("type", ""))
        factory = char_filters.FACTORIES.get(kind)
        if factory is None:
            raise self._no_factory("char_filter", ref, where, kind, name)
        return Stage(name, factory(spec, name))

    def char_filter_type(self, ref: Any) -> str:
        return str(self._component("char_filter", ref).get("type", ""))

    def filter_type(self, ref: Any) -> str:
        kind = str(self._component("filter", ref).get("type", ""))
        return token_filters.ALIASES.get(kind, kind)

    def _check_filter(self, name: str) -> None:
        if self.filter_type(name) in ("synonym", "synonym_graph"):
            return  # built with the chain of each analyzer that uses it
        self.filter(name, None, lambda text: [text])

    def filter(self, ref: Any, where: str | None,
               before: Callable[[str], list[str]]) -> Stage:
        """A token filter; ``before`` analyses a word with the chain up to it (synonyms)."""
        spec = self._component("filter", ref)
        name = ref if isinstance(ref, str) else "_anonymous_tokenfilter"
        kind = self.filter_type(ref)
        if kind in ("synonym", "synonym_graph"):
            return Stage(name, synonym(spec, name, before, graph=kind == "synonym_graph"))
        factory = token_filters.FACTORIES.get(kind)
        if factory is None:
            raise self._no_factory("filter", ref, where, kind, name, token_filters.UNSUPPORTED)
        if kind == "ngram":
            return Stage(name, factory(spec, name, self.max_ngram_diff))
        if kind == "shingle":
            return Stage(name, factory(spec, name, self.max_shingle_diff))
        return Stage(name, factory(spec, name))

    # --- building ---------------------------------------------------------------------------

    def custom_analyzer(self, name: str, tokenizer: Any, filters: list[Any],
                        chars: list[Any], where: str | None = None,
                        gap: int = POSITION_GAP) -> Analyzer:
        analyzer = Analyzer(name, self.tokenizer(tokenizer, where),
                            char_filters=[self.char_filter(c, where) for c in chars],
                            position_gap=gap, custom=True)
        for ref in filters:
            chain = Analyzer(name, analyzer.tokenizer, list(analyzer.filters),
                             analyzer.char_filters)
            analyzer.filters.append(self.filter(ref, where, chain.terms))
        return analyzer

    def _build_analyzer(self, name: str, spec: dict[str, Any]) -> Analyzer:
        kind = spec.get("type")
        gap = setting_int(spec, "position_increment_gap", POSITION_GAP, name)
        if kind is None and "tokenizer" in spec:
            kind = "custom"
        if kind is None:
            raise IllegalArgument(f"analyzer [{name}] must specify either an analyzer type, or "
                                  f"a tokenizer")
        if kind == "custom":
            if "tokenizer" not in spec:
                raise IllegalArgument(f"custom analyzer [{name}] must be configured with a "
                                      f"tokenizer")
            return self.custom_analyzer(name, str(spec["tokenizer"]), _names(spec, "filter"),
                                        _names(spec, "char_filter"), where=name, gap=gap)
        analyzer = configured_builtin(str(kind), spec, name)
        if analyzer is None:
            raise IllegalArgument(f"Unknown analyzer type [{kind}] for [{name}]")
        analyzer.position_gap = gap
        return analyzer

    def _build_normalizer(self, name: str, spec: dict[str, Any]) -> Normalizer:
        kind = spec.get("type", "custom")
        if kind != "custom":
            raise IllegalArgument(f"Unknown normalizer type [{kind}] for [{name}]")
        return self.custom_normalizer(name, _names(spec, "filter"), _names(spec, "char_filter"))

    def custom_normalizer(self, name: str, filters: list[Any], chars: list[Any]) -> Normalizer:
        for ref in filters:
            if self.filter_type(ref) not in token_filters.NORMALIZER_SAFE:
                shown = ref if isinstance(ref, str) else self.filter_type(ref)
                raise IllegalArgument(f"Custom normalizer [{name}] may not use filter [{shown}]")
        for ref in chars:
            if self.char_filter_type(ref) not in char_filters.NORMALIZER_SAFE:
                shown = ref if isinstance(ref, str) else self.char_filter_type(ref)
                raise IllegalArgument(f"Custom normalizer [{name}] may not use char filter "
                                      f"[{shown}]")
        return Normalizer(name, [self.filter(f, name, lambda t: [t]) for f in filters],
                          [self.char_filter(c, name) for c in chars])


# --- built-in analyzers -----------------------------------------------------------------------

def _stage(name: str, factory: Callable[..., Any], spec: dict[str, Any] | None = None) -> Stage:
    return Stage(name, factory(spec or {}, name))


#: ES language analyzers built from a stop list tantivy has and the Snowball stemmer ES uses
#: for them (Lucene's DanishAnalyzer etc.: standard tokenizer, lowercase, stop, snowball).
SNOWBALL_ANALYZERS = {"danish", "finnish", "hungarian", "norwegian", "russian", "swedish"}
#: Language analyzers ES has whose stemmers or normalisations tantivy lacks.
UNSUPPORTED_ANALYZERS = {
    "arabic", "armenian", "basque", "bengali", "brazilian", "bulgarian", "catalan", "cjk",
    "czech", "dutch", "estonian", "french", "galician", "german", "greek", "hindi",
    "indonesian", "irish", "italian", "latvian", "lithuanian", "persian", "portuguese",
    "romanian", "sorani", "spanish", "thai", "turkish", "fingerprint",
}


def configured_builtin(kind: str, spec: dict[str, Any], name: str) -> Analyzer | None:
    """A built-in analyzer type with its parameters (``{"type": "standard", ...}``)."""
    stop = spec.get("stopwords")
    stop_filters = [] if stop is None else [
        Stage("stop", language.stop({"stopwords": stop}, name))]
    if "stopwords_path" in spec:
        raise IllegalArgument(f"not supported by Loghaven: [stopwords_path] of analyzer "
                              f"[{name}] (give the words inline in [stopwords])")
    if kind == "standard":
        tokenizer = _stage("standard", tokenizers.standard,
                           {"max_token_length": spec.get("max_token_length", 255)})
        default = stop is None and "max_token_length" not in spec
        return Analyzer(name, tokenizer,
                        [_stage("lowercase", token_filters.lowercase), *stop_filters],
                        engine_standard=default and name == "standard")
    if kind == "simple":
        return Analyzer(name, _stage("lowercase", tokenizers.lowercase))
    if kind == "whitespace":
        return Analyzer(name, _stage("whitespace", tokenizers.whitespace))
    if kind == "keyword":
        return Analyzer(name, _stage("keyword", tokenizers.keyword))
    if kind == "stop":
        words = stop if stop is not None else "_english_"
        return Analyzer(name, _stage("lowercase", tokenizers.lowercase),
                        [Stage("stop", language.stop({"stopwords": words}, name))])
    if kind == "pattern":
        tokenizer = Stage("pattern", tokenizers.pattern(
            {"pattern": spec.get("pattern", r"\W+"), "flags": spec.get("flags", "")}, name))
        lower = str(spec.get("lowercase", "true")).lower() != "false"
        filters = [_stage("lowercase", token_filters.lowercase)] if lower else []
        return Analyzer(name, tokenizer, [*filters, *stop_filters])
    if kind == "english":
        words = stop if stop is not None else "_english_"
        filters = [_stage("english_possessive_stemmer", language.possessive_english),
                   _stage("lowercase", token_filters.lowercase),
                   Stage("english_stop", language.stop({"stopwords": words}, name))]
        exclusions = setting_list(spec, "stem_exclusion")
        if exclusions:
            filters.append(Stage("english_keywords", language.keyword_marker(
                {"keywords": exclusions}, name)))
        filters.append(_stage("english_stemmer", language.porter_stem))
        return Analyzer(name, _stage("standard", tokenizers.standard), filters)
    if kind in SNOWBALL_ANALYZERS:
        words = stop if stop is not None else f"_{kind}_"
        filters = [_stage("lowercase", token_filters.lowercase),
                   Stage(f"{kind}_stop", language.stop({"stopwords": words}, name))]
        exclusions = setting_list(spec, "stem_exclusion")
        if exclusions:
            filters.append(Stage(f"{kind}_keywords", language.keyword_marker(
                {"keywords": exclusions}, name)))
        filters.append(Stage(f"{kind}_stemmer",
                             language.stemmer({"language": kind}, name)))
        return Analyzer(name, _stage("standard", tokenizers.standard), filters)
    if kind in UNSUPPORTED_ANALYZERS:
        raise IllegalArgument(f"not supported by Loghaven: analyzer type [{kind}] (its "
                              f"stemmer or normalisation is not available to the engine)")
    return None


_BUILTINS: dict[str, Analyzer] = {}


def builtin_analyzer(name: str) -> Analyzer | None:
    """A built-in analyzer by name; None for an unknown name, the named refusal for one ES
    has and Loghaven cannot reproduce (``french``...)."""
    found = _BUILTINS.get(name)
    if found is None:
        found = configured_builtin(name, {}, name)
        if found is not None:
            _BUILTINS[name] = found
    return found


LOWERCASE = Normalizer("lowercase", [_stage("lowercase", token_filters.lowercase)])
#: The analysis of an index without analysis settings.
BUILTIN = IndexAnalysis()
#: ES inserts this position gap between the values of a text field's array.
FIELD_POSITION_GAP = 100
