"""The cluster state's ``version`` and ``state_uuid``, which tools compare to notice changes.

Loghaven keeps no state log, so the version is counted when it is observed: each call that sees
metadata different from the last one seen raises it by one, and that is persisted, so it
never goes back, across restarts too. The uuid is a digest of the metadata: equal states
have equal uuids.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import orjson

from loghaven.storage.metastore import Metastore

_LOCK = threading.Lock()


def state_version(metastore: Metastore, metadata: dict[str, Any]) -> tuple[int, str]:
    digest = hashlib.sha256(orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS)).hexdigest()[:22]
    with _LOCK:
        stored = metastore.get("cluster", "state") or {"version": 0, "digest": ""}
        if stored["digest"] != digest:
            stored = {"version": stored["version"] + 1, "digest": digest}
            metastore.put("cluster", "state", stored)
    return stored["version"], digest
