"""The dashboards Loghaven ships: AWS WAF (over the ``aws_waf`` parser's fields) and PCI-DSS
(over CloudTrail events, the seed's ten sample guidelines), as NDJSON files installed at
start (``dashboards.builtin.install``) unless an object of the same id exists, so a user may
change them; a deleted one comes back at the next start.

The files are OpenSearch Dashboards exports (``aws_waf.ndjson``: the ``awswaf-*`` index
pattern, six visualizations, the blocked requests search and the dashboard;
``pci_dss.ndjson``: the ``cloudtrail-*`` index pattern, one visualization or search per
guideline and the dashboard), read by the import's own reader.
"""

from __future__ import annotations

from pathlib import Path

from loghaven.dashboards.objects import SavedObject, SavedObjects, Write
from loghaven.dashboards.transfer import read_objects

FOLDER = Path(__file__).resolve().parent


def objects() -> list[SavedObject]:
    """Every built-in object, from the NDJSON files of this folder (in name order)."""
    out: list[SavedObject] = []
    for path in sorted(FOLDER.glob("*.ndjson")):
        found, _unsupported = read_objects(path.read_bytes(), limit=10_000)
        out.extend(found)
    return out


def install(saved: SavedObjects) -> None:
    """Write the built-in objects that are missing (never over one a user changed), in one
    transaction."""
    missing = [o for o in objects() if not saved.exists(o.type, o.id)]
    if missing:
        saved.write_many([Write(o.type, o.id, o.attributes, o.references,
                                migration_version=o.migration_version) for o in missing])
