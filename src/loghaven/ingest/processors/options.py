"""Option readers shared by the enrichment processors (beyond ProcessorConfig's own)."""

from __future__ import annotations

from collections.abc import Sequence

from loghaven.ingest.pipeline.processor import ProcessorConfig


def read_properties(config: ProcessorConfig, valid: Sequence[str],
                    defaults: Sequence[str]) -> tuple[str, ...]:
    """The ``properties`` option of geoip and user_agent: names of ``valid`` in any case,
    ``defaults`` when absent; the output field names (lower case) in ``valid``'s order. An
    unknown name is ES's ``illegal property value`` error, listing ``valid`` in order."""
    names: list[str] | None = config.strings("properties", None)
    chosen = set(defaults)
    if names is not None:
        chosen = {name.upper() for name in names}
        for name in names:
            if name.upper() not in valid:
                raise config.error("properties", f"[properties] illegal property value "
                                                 f"[{name}]. valid values are "
                                                 f"[{', '.join(valid)}]")
    return tuple(p.lower() for p in valid if p in chosen)


def check_cache_size(value: int, setting: str) -> int:
    """A lookup cache's size setting (ES's ``longSetting`` with minimum 0), or ES's error."""
    if value < 0:
        raise ValueError(f"Failed to parse value [{value}] for setting [{setting}] must be "
                         f">= 0")
    return value
