"""Policies (metastore kind ``ism_policy``, with ``_seq_no``/``_primary_term`` as OpenSearch
gives its config index documents) and managed-index records (kind ``ism_managed_index``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from loghaven.lifecycle.ism.managed import ManagedIndex
from loghaven.storage.metastore import Metastore


class IsmStore:
    def __init__(self, metastore: Metastore) -> None:
        self.metastore = metastore

    def get_policy(self, policy_id: str) -> dict[str, Any] | None:
        """``{"_id", "_seq_no", "_primary_term", "_version", "policy"}`` or None."""
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def policies(self) -> list[dict[str, Any]]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def managed(self, index_uuid: str) -> ManagedIndex | None:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def all_managed(self) -> list[ManagedIndex]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def put_managed(self, managed: ManagedIndex) -> None:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def delete_managed(self, index_uuid: str) -> None:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    @contextlib.contextmanager
    def locked(self, index_uuid: str) -> Iterator[None]:
        """One writer of a managed index's record at a time (a run, or remove/change/retry)."""
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")
        yield
