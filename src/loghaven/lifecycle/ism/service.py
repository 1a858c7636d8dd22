"""``node.ism``: the ISM API's operations — policies (create, update with ``if_seq_no``/
``if_primary_term``, get, search, delete), add, remove, change_policy, retry, explain — and
``ism_template`` auto-attach when an index is created (highest ``priority`` wins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loghaven.lifecycle.ism.store import IsmStore

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog


class IsmService:
    def __init__(self, store: IsmStore, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog

    def start(self) -> None:
        """Listen for index creation (``ism_template`` auto-attach)."""

    def put_policy(self, policy_id: str, body: dict[str, Any], *,
                   if_seq_no: int | None = None,
                   if_primary_term: int | None = None) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def get_policy(self, policy_id: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def search_policies(self, params: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def delete_policy(self, policy_id: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def add(self, indices: str, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def remove(self, indices: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def change_policy(self, indices: str, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def retry(self, indices: str, body: dict[str, Any] | None) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")

    def explain(self, indices: str | None, params: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper ism-api")
