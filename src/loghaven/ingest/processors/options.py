"""Option readers (beyond ProcessorConfig's own) and the lookup cache shared by the
enrichment processors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

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


class LookupCache:
    """A processor's lookups memoised in a bounded LRU cache whose size is a static node
    setting (ES's ``longSetting`` with minimum 0; 0: no cache), set at start in the server
    and in each ingest worker."""

    def __init__(self, function: Callable[..., Any], setting: str, size: int) -> None:
        self.function = function
        self.setting = setting
        self.configure(size)

    def configure(self, size: int) -> None:
        """A new, empty cache of ``size`` entries; ES's error for a negative size."""
        if size < 0:
            raise ValueError(f"Failed to parse value [{size}] for setting [{self.setting}] "
                             f"must be >= 0")
        self.size = size
        self._cached = functools.lru_cache(maxsize=size)(self.function)

    def __call__(self, *args: Any) -> Any:
        return self._cached(*args)

    def cache_info(self) -> Any:
        return self._cached.cache_info()

    def cache_clear(self) -> None:
        self._cached.cache_clear()
