"""Module contract of the index metadata operations in ``engine/``, called without HTTP.

Lifecycle policies and snapshots will call these directly, so each is checked here for what
it changes, what it refuses (ES's error type and message) and that the change is stored:
a catalog reopened on the same metastore sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loghaven.engine import aliases, index_metadata, templates
from loghaven.engine.catalog import Catalog
from loghaven.errors import LoghavenError
from loghaven.storage.metastore import SqliteMetastore


def _open(folder: Path) -> Catalog:
    return Catalog(folder, SqliteMetastore(folder / "metastore.sqlite"))


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    opened = _open(tmp_path)
    yield opened
    opened.close()


def _reopened(catalog: Catalog) -> Catalog:
    catalog.close()
    return _open(catalog.data_dir)


def _error(exc: pytest.ExceptionInfo[LoghavenError]) -> tuple[int, str, str]:
    body = exc.value.to_body()
    return body["status"], body["error"]["type"], body["error"]["reason"]


def test_put_mapping_adds_fields_and_is_stored(catalog: Catalog) -> None:
    logs = catalog.create_index("logs")
    index_metadata.put_mapping(catalog, [logs], {"properties": {"n": {"type": "long"}}})
    assert logs.mapping.fields["n"].type == "long"
    again = _reopened(catalog)
    try:
        assert again.get("logs").mapping.to_es()["properties"]["n"] == {"type": "long"}
    finally:
        again.close()


def test_put_mapping_refused_on_one_index_changes_none(catalog: Catalog) -> None:
    keyed = catalog.create_index("a", {"mappings": {"properties": {"n": {"type": "keyword"}}}})
    empty = catalog.create_index("b")
    with pytest.raises(LoghavenError) as exc:
        index_metadata.put_mapping(catalog, [empty, keyed],
                                   {"properties": {"n": {"type": "long"}}})
    assert _error(exc) == (400, "illegal_argument_exception",
                           "mapper [n] cannot be changed from type [keyword] to [long]")
    assert "n" not in empty.mapping.fields
    assert keyed.mapping.fields["n"].type == "keyword"


def test_update_settings_applies_stores_and_refuses_private(catalog: Catalog) -> None:
    logs = catalog.create_index("logs")
    index_metadata.update_settings(catalog, [logs], {"index.refresh_interval": "5s",
                                                     "index.translog.durability": "async"})
    assert logs.settings.refresh_interval_ms == 5000
    assert logs.wal is not None and logs.wal.durability == "async"
    with pytest.raises(LoghavenError) as exc:
        index_metadata.update_settings(catalog, [logs], {"index.uuid": "x"})
    assert _error(exc) == (400, "illegal_argument_exception",
                           "final [logs] setting [index.uuid], not updateable")
    index_metadata.update_settings(catalog, [logs], {"index.refresh_interval": ""})
    assert logs.settings.refresh_interval_ms == 1000
    index_metadata.update_settings(catalog, [logs], {"index.number_of_replicas": "0"})
    again = _reopened(catalog)
    try:
        stored = again.get("logs").settings.user
        assert stored["index.number_of_replicas"] == "0"
        assert stored["index.translog.durability"] == "async"
        assert "index.refresh_interval" not in stored
    finally:
        again.close()


def test_close_and_open_are_stored(catalog: Catalog) -> None:
    logs = catalog.create_index("logs")
    index_metadata.set_closed(catalog, [logs], True)
    assert logs.state == "close"
    again = _reopened(catalog)
    try:
        closed = again.get("logs")
        assert closed.state == "close"
        index_metadata.set_closed(again, [closed], False)
        assert closed.state == "open" and closed.failure is None
        assert again.metastore.get("index", "logs")["state"] == "open"
    finally:
        again.close()


def test_aliases_add_view_remove(catalog: Catalog) -> None:
    catalog.create_index("logs-1")
    catalog.create_index("logs-2")
    aliases.update(catalog, [{"add": {"index": "logs-*", "alias": "logs",
                                      "is_write_index": False}},
                             {"add": {"index": "logs-2", "alias": "recent"}}])
    view, missing = aliases.view(catalog, None, "logs,nothing")
    assert view == {"logs-1": {"aliases": {"logs": {"is_write_index": False}}},
                    "logs-2": {"aliases": {"logs": {"is_write_index": False}}}}
    assert missing
    assert [t.index.name for t in catalog.resolve("recent")] == ["logs-2"]
    aliases.update(catalog, [{"remove": {"index": "logs-1", "alias": "logs"}}])
    again = _reopened(catalog)
    try:
        assert again.aliases == {"logs-1": {},
                                 "logs-2": {"logs": {"is_write_index": False}, "recent": {}}}
        with pytest.raises(LoghavenError) as exc:
            aliases.update(again, [{"remove": {"index": "logs-1", "alias": "gone"}}])
        assert _error(exc) == (404, "aliases_not_found_exception", "aliases [gone] missing")
    finally:
        again.close()


def test_alias_actions_are_all_or_nothing(catalog: Catalog) -> None:
    catalog.create_index("logs")
    with pytest.raises(LoghavenError) as exc:
        aliases.update(catalog, [{"add": {"index": "logs", "alias": "a"}},
                                 {"add": {"index": "missing", "alias": "b"}}])
    assert _error(exc)[:2] == (404, "index_not_found_exception")
    assert catalog.aliases == {"logs": {}}


def test_composable_template_applies_at_creation(catalog: Catalog) -> None:
    store = catalog.metastore
    templates.put(store, templates.COMPONENT, "shards",
                  {"template": {"settings": {"number_of_replicas": 0}}})
    templates.put(store, templates.COMPOSABLE, "logs", {
        "index_patterns": ["logs-*"], "priority": 5, "composed_of": ["shards"],
        "template": {"mappings": {"properties": {"host": {"type": "keyword"}}},
                     "aliases": {"all-logs": {}}}})
    created = catalog.create_index("logs-1")
    assert created.settings.user["index.number_of_replicas"] == "0"
    assert created.mapping.fields["host"].type == "keyword"
    assert catalog.aliases["logs-1"] == {"all-logs": {}}
    assert "host" not in catalog.create_index("other").mapping.fields

    with pytest.raises(LoghavenError) as exc:
        templates.put(store, templates.COMPOSABLE, "clash",
                      {"index_patterns": ["logs-a*"], "priority": 5})
    assert _error(exc)[:2] == (400, "illegal_argument_exception")
    assert "same priority [5]" in _error(exc)[2]
    with pytest.raises(LoghavenError) as exc:
        templates.delete(store, templates.COMPONENT, "shards")
    assert _error(exc)[2] == ("component templates ['shards'] cannot be removed as they are "
                              "still in use by index templates [logs]")
    templates.delete(store, templates.COMPOSABLE, "log*")
    assert templates.find(store, templates.COMPOSABLE, None) == {}
    with pytest.raises(LoghavenError) as exc:
        templates.find(store, templates.COMPOSABLE, "logs")
    assert _error(exc) == (404, "resource_not_found_exception",
                           "index template matching [logs] not found")


def test_legacy_templates_merge_in_order(catalog: Catalog) -> None:
    store = catalog.metastore
    templates.put(store, templates.LEGACY, "late",
                  {"index_patterns": ["app-*"], "order": 2, "settings": {"refresh_interval": "9s"}})
    templates.put(store, templates.LEGACY, "early",
                  {"index_patterns": ["app*"], "order": 1,
                   "settings": {"index": {"refresh_interval": "3s", "number_of_replicas": 0}}})
    with pytest.raises(LoghavenError) as exc:
        templates.put(store, templates.LEGACY, "early", {"index_patterns": ["x"]}, create=True)
    assert _error(exc)[2] == "index_template [early] already exists"
    created = catalog.create_index("app-1")
    assert created.settings.user["index.refresh_interval"] == "9s"
    assert created.settings.user["index.number_of_replicas"] == "0"
    assert templates.legacy_view(templates.find(store, templates.LEGACY, "early")["early"]) == {
        "order": 1, "index_patterns": ["app*"],
        "settings": {"index": {"number_of_replicas": "0", "refresh_interval": "3s"}},
        "mappings": {}, "aliases": {}}


def test_resolve_index_lists_indices_and_aliases_apart(catalog: Catalog) -> None:
    catalog.create_index("logs-1")
    catalog.create_index("logs-2", {"settings": {"index.hidden": True}})
    aliases.update(catalog, [{"add": {"index": "logs-1", "alias": "current"}}])
    index_metadata.set_closed(catalog, [catalog.get("logs-1")], True)
    listed = catalog.resolve_index("logs-*,current", expand_wildcards="all")
    assert listed == {
        "indices": [{"name": "logs-1", "aliases": ["current"], "attributes": ["closed"]},
                    {"name": "logs-2", "attributes": ["hidden", "open"]}],
        "aliases": [{"name": "current", "indices": ["logs-1"]}],
        "data_streams": []}
    assert catalog.resolve_index("logs-*")["indices"] == []
    with pytest.raises(LoghavenError) as exc:
        catalog.resolve_index("nope")
    assert _error(exc)[:2] == (404, "index_not_found_exception")


def test_cluster_settings_checked_and_stored(catalog: Catalog) -> None:
    with pytest.raises(LoghavenError) as exc:
        catalog.put_cluster_settings({"persistent": {}})
    assert _error(exc) == (400, "action_request_validation_exception",
                           "Validation Failed: 1: no settings to update;")
    with pytest.raises(LoghavenError) as exc:
        catalog.put_cluster_settings({"persistent": {"a": "1"}, "other": {}})
    assert _error(exc)[2] == "request body contains unknown key [other]"
    applied = catalog.put_cluster_settings({"persistent": {"action": {"auto_create_index": False}}})
    assert applied == {"persistent": {"action.auto_create_index": "false"}, "transient": {}}
    again = _reopened(catalog)
    try:
        assert again.cluster_setting("action.auto_create_index") == "false"
    finally:
        again.close()
