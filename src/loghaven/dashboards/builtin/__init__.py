"""The dashboards Loghaven ships: AWS WAF (over the ``aws_waf`` parser's fields) and PCI-DSS
(over CloudTrail events, the seed's ten sample guidelines), as NDJSON files installed at
start (``dashboards.builtin.install``) unless an object of the same id exists, so a user may
change them; a deleted one comes back at the next start.

CONTRACT (issue 18): implemented by the "objects" helper.
"""

from __future__ import annotations

from loghaven.dashboards.objects import SavedObjects


def install(objects: SavedObjects) -> None:
    raise NotImplementedError  # CONTRACT
