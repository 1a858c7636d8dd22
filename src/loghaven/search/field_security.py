"""Field-level security and field masking: which fields of an index's documents a subject
sees, and which values it sees only as a hash.

OpenSearch's semantics (security plugin, ``fls`` and ``masked_fields`` of a role): the
patterns (``*`` wildcards) name dotted field paths; naming an object covers everything under
it, and a multi-field (``message.keyword``) follows its parent. A hidden field is gone from
``_source`` and from everything built on the index (queries match nothing on it, sorts see it
missing, aggregations have no values). A masked field stays, its string values replaced by a
hash: BLAKE2b with a 32-byte digest and the 16-byte salt ``security.compliance.salt``
(OpenSearch's ``plugins.security.compliance.salt``, same default), printed as hex; or another
digest (``field::SHA-512``), or regular-expression replacements
(``field::/regex/::replacement``), as OpenSearch's ``MaskedField`` does. Numbers, booleans
and dates stay clear (OpenSearch masks string-based fields only). Masked fields cannot be
searched or sorted on; a ``terms`` aggregation on a masked keyword field groups by the
hashes (buckets/terms.py), and the other aggregations do not see masked fields.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Callable, Collection
from typing import Any

import orjson

from loghaven.errors import IllegalArgument
from loghaven.search.source_filter import SourceFilter
from loghaven.security import context

#: Java digest names roles use (``field::SHA-512``) → hashlib's.
_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-224": "sha224", "SHA-256": "sha256",
            "SHA-384": "sha384", "SHA-512": "sha512", "SHA3-256": "sha3_256",
            "SHA3-512": "sha3_512"}


def salt16(text: str) -> bytes:
    """The salt from its setting, as OpenSearch's ``Salt``: the first 16 bytes of UTF-8."""
    raw = text.encode()
    if len(raw) < 16:
        raise ValueError(f"Provided compliance salt {text} must at least contain 16 bytes")
    return raw[:16]


def _ancestors(path: str) -> list[str]:
    """``a.b.c`` → ``a.b.c``, ``a.b``, ``a``: a pattern naming an object covers its fields."""
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(p, pattern) for p in _ancestors(path) for pattern in patterns)


class Masker:
    """One ``masked_fields`` entry: the pattern and how its values are replaced."""

    def __init__(self, spec: str, salt: bytes) -> None:
        tokens = spec.split("::")
        self.pattern = tokens[0]
        self.mask: Callable[[str], str]
        if len(tokens) == 1:
            self.mask = lambda value: hashlib.blake2b(
                value.encode(), digest_size=32, salt=salt).hexdigest()
        elif len(tokens) == 2:
            name = _DIGESTS.get(tokens[1].upper(), tokens[1].lower().replace("-", ""))
            if name not in hashlib.algorithms_available:
                raise IllegalArgument(f"masked field [{spec}]: unknown digest [{tokens[1]}]")
            self.mask = lambda value: hashlib.new(name, value.encode()).hexdigest()
        elif len(tokens) % 2 == 1:
            steps = [(re.compile(tokens[i][1:-1]), _replacement(tokens[i + 1]))
                     for i in range(1, len(tokens) - 1, 2)]
            self.mask = lambda value: _replace_all(value, steps)
        else:
            raise IllegalArgument(f"masked field [{spec}]: expected 1 or 2 or >=3 (but then "
                                  f"odd count) tokens, got {len(tokens)}")


def _replacement(java: str) -> str:
    """A Java ``replaceAll`` replacement (``$1``) as Python's (``\\g<1>``)."""
    return re.sub(r"\$(\d+)", r"\\g<\1>", java.replace("\\", "\\\\"))


def _replace_all(value: str, steps: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, replacement in steps:
        value = pattern.sub(replacement, value)
    return value


class FieldSecurity:
    """The field-level security and masking of one index for one set of roles.

    Built once per rule set (:func:`field_security` caches it), so the per-path answers are
    cached across requests.
    """

    def __init__(self, include: tuple[str, ...] | None, exclude: tuple[str, ...],
                 masked: tuple[str, ...], salt: bytes) -> None:
        self.include = include
        self.exclude = exclude
        self.maskers = [Masker(spec, salt) for spec in masked]
        self._filter = SourceFilter(includes=include or (), excludes=exclude)
        self._visible: dict[str, bool] = {}
        self._masker: dict[str, Masker | None] = {}
        self._present: dict[frozenset[str], frozenset[str]] = {}

    def visible(self, path: str) -> bool:
        """Whether the field at ``path`` (a leaf, a multi-field or an object) is shown."""
        known = self._visible.get(path)
        if known is None:
            known = (self.include is None or _matches(path, self.include)) \
                and not _matches(path, self.exclude)
            self._visible[path] = known
        return known

    def masker(self, path: str) -> Masker | None:
        """How the values at ``path`` are masked, or None when they are shown clear."""
        if path not in self._masker:
            self._masker[path] = next(
                (m for m in self.maskers
                 if any(fnmatch.fnmatchcase(p, m.pattern) for p in _ancestors(path))), None)
        return self._masker[path]

    def searchable(self, names: frozenset[str]) -> frozenset[str]:
        """The field names (of a split's schema) that queries, sorts and aggregations may
        read: visible and not masked."""
        found = self._present.get(names)
        if found is None:
            found = frozenset(n for n in names if self.visible(n) and self.masker(n) is None)
            if len(self._present) < 256:
                self._present[names] = found
        return found

    def apply(self, source: dict[str, Any]) -> dict[str, Any]:
        """A document's ``_source`` as the roles see it: hidden fields removed, masked
        values hashed."""
        if self.include is not None and not self.include:
            return {}
        if self.include is not None or self.exclude:
            source = self._filter.apply(source)
        if self.maskers:
            source = self._masked(source, "")
        return source

    def apply_bytes(self, raw: bytes) -> bytes:
        try:
            shown = self.apply(orjson.loads(raw))
            try:
                return orjson.dumps(shown)
            except orjson.JSONEncodeError:  # deeper than orjson writes (see source_filter)
                return json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode()
        except RecursionError:
            raise IllegalArgument("_source is nested too deeply for field-level "
                                  "security") from None

    def _masked(self, obj: dict[str, Any], prefix: str) -> dict[str, Any]:
        return {key: self._masked_value(value, prefix + key) for key, value in obj.items()}

    def _masked_value(self, value: Any, path: str) -> Any:
        if isinstance(value, dict):
            return self._masked(value, path + ".")
        if isinstance(value, list):
            return [self._masked_value(v, path) for v in value]
        if isinstance(value, str):
            masker = self.masker(path)
            if masker is not None:
                return masker.mask(value)
        return value


_CACHE: dict[tuple[Any, ...], FieldSecurity] = {}


def field_security(include: tuple[str, ...] | None, exclude: tuple[str, ...],
                   masked: tuple[str, ...], salt: bytes) -> FieldSecurity | None:
    """The shared :class:`FieldSecurity` of a rule set; None when it restricts nothing."""
    if include is None and not exclude and not masked:
        return None
    key = (include, exclude, masked, salt)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= 1024:
            _CACHE.clear()
        found = _CACHE[key] = FieldSecurity(include, exclude, masked, salt)
    return found


# --- mappings ----------------------------------------------------------------------------


def hidden_fields(index: str, aliases: Collection[str] = ()) -> FieldSecurity | None:
    """The acting subject's field-level security on ``index`` for listing its fields; None
    when it sees every field (masked fields are listed: their values are hashed, not gone)."""
    rules = context.index_rules(index, aliases)
    if rules is None or (rules.fls_include is None and not rules.fls_exclude):
        return None
    return field_security(rules.fls_include, rules.fls_exclude, (), b"")


def visible_mapping(mapping: dict[str, Any], fls: FieldSecurity | None) -> dict[str, Any]:
    """A mapping (``GET _mapping``'s body) without the fields FLS hides, as OpenSearch's
    security plugin filters get-mappings, get-field-mappings and get-index (its
    ``MapperPlugin.getFieldFilter``): an object stays while a field under it is shown."""
    if fls is None or "properties" not in mapping:
        return mapping
    return {**mapping, "properties": _visible_properties(mapping["properties"], "", fls)}


def _visible_properties(properties: dict[str, Any], prefix: str,
                        fls: FieldSecurity) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for name, spec in properties.items():
        path = prefix + name
        if not isinstance(spec, dict):
            continue
        if "properties" in spec:
            inner = _visible_properties(spec["properties"], path + ".", fls)
            if inner or (not spec["properties"] and fls.visible(path)):
                shown[name] = {**spec, "properties": inner}
        elif fls.visible(path):
            if isinstance(spec.get("fields"), dict):
                spec = {**spec, "fields": {sub: body for sub, body in spec["fields"].items()
                                           if fls.visible(f"{path}.{sub}")}}
            shown[name] = spec
    return shown
