"""The dashboards Loghaven ships: AWS WAF (over the ``aws_waf`` parser's fields) and PCI-DSS
(over CloudTrail events, the seed's ten sample guidelines), as NDJSON files installed at
start (``dashboards.builtin.install``) unless an object of the same id exists, so a user may
change them; a deleted one comes back at the next start.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from loghaven.dashboards.objects import SavedObject, SavedObjects, Write

FOLDER = Path(__file__).resolve().parent


def objects() -> list[SavedObject]:
    """Every built-in object, from the NDJSON files of this folder (in name order)."""
    out: list[SavedObject] = []
    for path in sorted(FOLDER.glob("*.ndjson")):
        for line in path.read_bytes().splitlines():
            if line.strip():
                item = orjson.loads(line)
                out.append(SavedObject(id=item["id"], type=item["type"],
                                       attributes=item["attributes"],
                                       references=item.get("references", []),
                                       migration_version=item.get("migrationVersion")))
    return out


def install(objects_: SavedObjects) -> None:
    """Write the built-in objects that are missing (never one a user changed), in one
    transaction."""
    missing = [o for o in objects() if not objects_.exists(o.type, o.id)]
    if missing:
        objects_.write_many([Write(o.type, o.id, o.attributes, o.references,
                                   migration_version=o.migration_version) for o in missing])
