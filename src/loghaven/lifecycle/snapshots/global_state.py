"""A snapshot's global state (``include_global_state``): what OpenSearch keeps in its cluster
``Metadata`` outside indices, saved with the snapshot and put back through the services that
own each part, so that what comes back is in force at once.

What it holds, and how a restore with ``include_global_state: true`` applies it (OpenSearch
2.x ``RestoreService``, the same as ES 7.x documents):

- **persistent cluster settings**: replaced whole (the node's settings consumers check and
  apply them, as ``_cluster/settings`` does); transient ones are never saved;
- **legacy templates** (``_template``): merged, one of the same name replaced, others kept;
- **composable and component templates, ingest pipelines, stored scripts**: each set replaced
  whole, as OpenSearch puts the snapshot's metadata customs in place of the cluster's. A
  restored pipeline is compiled before anything changes and is used by the next write.

Not in it, as in OpenSearch: the data its plugins keep in hidden system indices (ISM policies
in ``.opendistro-ism-config``, alerting monitors, notification channels, saved objects in
``.kibana``, the security configuration, whose restore OpenSearch refuses). OpenSearch carries
those as indices, in a snapshot whose index expression reaches them (``*`` does: create expands
hidden indices); Loghaven keeps them in the metastore, not in indices, so its snapshots do not
carry them at all. OpenSearch has no ``feature_states`` (ES 7.12+; its create request ignores
the key) and neither has Loghaven.

Snapshots taken before pipelines, scripts and settings were saved hold only the three template
kinds: a part a snapshot does not hold is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loghaven.engine import templates

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog
    from loghaven.ingest.pipeline.store import PipelineStore
    from loghaven.scripting.stored import StoredScripts
    from loghaven.storage.metastore import Metastore

#: The keys of a snapshot's ``global_state`` (the template ones are the metastore's kinds,
#: as snapshots have always stored them).
PIPELINES = "ingest_pipeline"
SCRIPTS = "stored_script"
PERSISTENT = "persistent_settings"
#: Template kinds that a restore replaces as a set (legacy templates are merged).
_REPLACED_TEMPLATES = (templates.COMPOSABLE, templates.COMPONENT)


@dataclass
class GlobalState:
    """The services that own the parts of the global state."""

    metastore: Metastore
    catalog: Catalog
    pipelines: PipelineStore
    scripts: StoredScripts

    def capture(self) -> dict[str, Any]:
        """The global state now, as a snapshot's metadata keeps it."""
        state: dict[str, Any] = {kind: self.metastore.list(kind) for kind in
                                 (templates.LEGACY, *_REPLACED_TEMPLATES)}
        state[PIPELINES] = self.pipelines.get(None)
        state[SCRIPTS] = self.scripts.all()
        state[PERSISTENT] = dict(self.catalog.cluster_settings()["persistent"])
        return state

    def check(self, state: dict[str, Any]) -> None:
        """Refuse, before a restore starts, a state whose pipelines do not compile or whose
        scripts are malformed here (OpenSearch checks the global state with the indices, in
        the one cluster state update that restores them)."""
        if state.get(PIPELINES) is not None:
            self.pipelines.compile_all(state[PIPELINES])
        if state.get(SCRIPTS) is not None:
            self.scripts.check_all(state[SCRIPTS])

    def restore(self, state: dict[str, Any]) -> None:
        """Put ``state`` back (module docstring). Pipelines are compiled and scripts checked
        first, and the settings checked by their consumers before they are stored, so an
        invalid one fails the restore before anything changes; running it again is harmless
        (an interrupted restore runs again at the next start)."""
        pipelines = state.get(PIPELINES)
        compiled = self.pipelines.compile_all(pipelines) if pipelines is not None else {}
        scripts = state.get(SCRIPTS)
        checked = self.scripts.check_all(scripts) if scripts is not None else None
        if state.get(PERSISTENT) is not None:
            self._restore_persistent(state[PERSISTENT])
        items: list[tuple[str, str, dict[str, Any] | None]] = [
            (templates.LEGACY, name, value)
            for name, value in (state.get(templates.LEGACY) or {}).items()]
        for kind in _REPLACED_TEMPLATES:
            if kind in state:
                wanted = state[kind] or {}
                items.extend((kind, name, None) for name in self.metastore.list(kind)
                             if name not in wanted)
                items.extend((kind, name, value) for name, value in wanted.items())
        if items:
            self.metastore.put_many(items)
        if pipelines is not None:
            self.pipelines.replace_all(pipelines, compiled)
        if checked is not None:
            self.scripts.replace_all(checked)

    def _restore_persistent(self, wanted: dict[str, Any]) -> None:
        """Make ``wanted`` the persistent settings through ``_cluster/settings``' own path:
        the keys it lacks reset, the others set."""
        current = self.catalog.cluster_settings()["persistent"]
        changes: dict[str, Any] = {key: None for key in current if key not in wanted}
        changes.update({key: value for key, value in wanted.items()
                        if current.get(key) != value})
        if changes:
            self.catalog.put_cluster_settings({"persistent": changes})
