"""A snapshot's global state (``include_global_state``) through the HTTP API against a real
server: ingest pipelines, stored scripts, templates and persistent cluster settings come back
with ``include_global_state: true`` and are in force at once (a document indexed through the
restored pipeline shows its processor's work, a search runs the restored script, a restored
setting limits the next search), none comes back without it, and a snapshot written before
pipelines, scripts and settings were saved (only templates in its global state) still
restores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError
from tests.lifecycle.test_snapshots import (
    FS_BUCKET,
    client_of,
    new_repo,
    paused_server,
    start_unpaused,
    wait_for_pause,
)

from conftest import Server, wait_for

PIPELINE = {"description": "marks documents",
            "processors": [{"set": {"field": "tagged", "value": "by-{{kind}}"}},
                           {"uppercase": {"field": "kind"}}]}
TERMS = {"size": 0, "aggs": {"kinds": {"terms": {"field": "kind.keyword"}}}}
SCRIPT = {"script": {"lang": "painless", "source": "params.n * params.factor"}}
#: Two buckets (within the restored ``search.max_buckets``), each scored by the stored script.
SCRIPTED = {"size": 0, "aggs": {"kinds": {
    "terms": {"field": "kind.keyword", "size": 2, "order": {"_key": "asc"}},
    "aggs": {"scaled": {"bucket_script": {
        "buckets_path": {"n": "_count"},
        "script": {"id": "gs-scale", "params": {"factor": 10}}}}}}}}


@pytest.fixture
def client(repo_node: Server) -> Iterator[OpenSearch]:
    client = client_of(repo_node)
    yield client
    client.cluster.put_settings(body={"persistent": {"*": None}})


def make_global_state(client: OpenSearch) -> None:
    client.ingest.put_pipeline(id="gs-tag", body=PIPELINE)
    client.put_script(id="gs-scale", body=SCRIPT)
    client.indices.put_template(name="gs-legacy", body={
        "index_patterns": ["gslegacy-*"], "settings": {"index.refresh_interval": "7s"}})
    client.cluster.put_component_template(name="gs-component", body={
        "template": {"mappings": {"properties": {"kind": {"type": "keyword"}}}}})
    client.indices.put_index_template(name="gs-composable", body={
        "index_patterns": ["gscomposable-*"], "composed_of": ["gs-component"],
        "template": {"settings": {"index.refresh_interval": "9s"}}})
    client.cluster.put_settings(body={"persistent": {"search.max_buckets": 2}})


def delete_global_state(client: OpenSearch) -> None:
    client.ingest.delete_pipeline(id="gs-tag")
    client.delete_script(id="gs-scale")
    client.indices.delete_template(name="gs-legacy")
    client.indices.delete_index_template(name="gs-composable")
    client.cluster.delete_component_template(name="gs-component")
    client.cluster.put_settings(body={"persistent": {"search.max_buckets": None}})


def fill_kinds(client: OpenSearch, index: str) -> None:
    """Three documents of three kinds: a terms aggregation over them makes three buckets."""
    for i, kind in enumerate(("alpha", "beta", "gamma")):
        client.index(index=index, id=str(i), body={"kind": kind}, refresh=True)


def snapshot(client: OpenSearch, repo: str, name: str, **body: Any) -> dict[str, Any]:
    return client.snapshot.create(repository=repo, snapshot=name,
                                  body={"indices": "gs-data", **body},
                                  params={"wait_for_completion": "true"})["snapshot"]


def restore(client: OpenSearch, repo: str, name: str, target: str, **body: Any) -> None:
    client.snapshot.restore(repository=repo, snapshot=name, body={
        "indices": "gs-data", "rename_pattern": "gs-data",
        "rename_replacement": target, **body}, params={"wait_for_completion": "true"})


def global_state_present(client: OpenSearch) -> dict[str, bool]:
    """Which of the objects the node has."""
    found = {}
    for name, call in (("pipeline", lambda: client.ingest.get_pipeline(id="gs-tag")),
                       ("script", lambda: client.get_script(id="gs-scale")),
                       ("legacy", lambda: client.indices.get_template(name="gs-legacy")),
                       ("composable",
                        lambda: client.indices.get_index_template(name="gs-composable")),
                       ("component",
                        lambda: client.cluster.get_component_template(name="gs-component"))):
        try:
            call()
            found[name] = True
        except NotFoundError:
            found[name] = False
    found["setting"] = max_buckets(client) == "2"
    return found


def max_buckets(client: OpenSearch) -> str | None:
    persistent = client.cluster.get_settings(flat_settings=True)["persistent"]
    value = persistent.get("search.max_buckets")
    return None if value is None else str(value)


def assert_terms_allowed(client: OpenSearch, index: str, allowed: bool) -> None:
    if allowed:
        assert len(client.search(index=index, body=TERMS)["aggregations"]["kinds"]
                   ["buckets"]) == 3
        return
    with pytest.raises(TransportError) as caught:
        client.search(index=index, body=TERMS)
    assert caught.value.status_code == 400
    assert caught.value.info["error"]["type"] == "too_many_buckets_exception"


def test_global_state_restored_through_its_services(client: OpenSearch,
                                                    repo_root: Path) -> None:
    repo, _location = new_repo(client, repo_root)
    fill_kinds(client, "gs-data")
    make_global_state(client)
    assert_terms_allowed(client, "gs-data", allowed=False)
    taken = snapshot(client, repo, "full")
    assert taken["include_global_state"] is True  # ES's default for create
    delete_global_state(client)
    # objects made after the snapshot: a pipeline (pipelines are replaced as a set, as
    # OpenSearch replaces its ingest metadata) and a legacy template (merged, so kept)
    client.ingest.put_pipeline(id="gs-later", body={"processors": []})
    client.indices.put_template(name="gs-later", body={"index_patterns": ["gslater-*"]})
    assert set(global_state_present(client).values()) == {False}
    assert_terms_allowed(client, "gs-data", allowed=True)
    with pytest.raises(NotFoundError) as caught:
        client.search(index="gs-data", body=SCRIPTED)
    assert caught.value.info["error"]["reason"] == (
        "unable to find script [gs-scale] in cluster state")

    # restore's default (and false) leaves the global state alone
    restore(client, repo, "full", "gs-none-1")
    restore(client, repo, "full", "gs-none-2", include_global_state=False)
    assert set(global_state_present(client).values()) == {False}
    assert_terms_allowed(client, "gs-data", allowed=True)
    assert client.ingest.get_pipeline(id="gs-later")

    restore(client, repo, "full", "gs-all", include_global_state=True)
    assert global_state_present(client) == dict.fromkeys(
        ("pipeline", "script", "legacy", "composable", "component", "setting"), True)
    assert client.ingest.get_pipeline(id="gs-tag")["gs-tag"] == PIPELINE
    # the restored pipeline runs on the next write
    client.index(index="gs-piped", id="1", body={"kind": "waf"}, pipeline="gs-tag",
                 refresh=True)
    assert client.get(index="gs-piped", id="1")["_source"] == {"kind": "WAF",
                                                               "tagged": "by-waf"}
    # a search runs the restored stored script
    buckets = client.search(index="gs-all", body=SCRIPTED)["aggregations"]["kinds"]["buckets"]
    assert [(b["key"], b["scaled"]["value"]) for b in buckets] == [("alpha", 10.0),
                                                                   ("beta", 10.0)]
    # the restored persistent setting limits the next search, on the restored index too
    assert_terms_allowed(client, "gs-all", allowed=False)
    # the restored templates make the next indices
    client.indices.create(index="gslegacy-1")
    client.indices.create(index="gscomposable-1")
    settings = client.indices.get_settings(index="gslegacy-1,gscomposable-1")
    assert settings["gslegacy-1"]["settings"]["index"]["refresh_interval"] == "7s"
    assert settings["gscomposable-1"]["settings"]["index"]["refresh_interval"] == "9s"
    mapping = client.indices.get_mapping(index="gscomposable-1")
    assert mapping["gscomposable-1"]["mappings"]["properties"]["kind"] == {"type": "keyword"}
    with pytest.raises(NotFoundError):
        client.ingest.get_pipeline(id="gs-later")
    assert client.indices.get_template(name="gs-later")


def test_snapshot_without_global_state_restores_none(client: OpenSearch,
                                                     repo_root: Path) -> None:
    repo, _location = new_repo(client, repo_root)
    fill_kinds(client, "gs-data")
    make_global_state(client)
    taken = snapshot(client, repo, "indices-only", include_global_state=False)
    assert taken["include_global_state"] is False
    delete_global_state(client)
    restore(client, repo, "indices-only", "gs-bare", include_global_state=True)
    assert set(global_state_present(client).values()) == {False}


def test_snapshot_of_the_older_shape_still_restores(client: OpenSearch,
                                                    repo_root: Path) -> None:
    """Snapshots taken before pipelines, scripts and settings were saved hold only the
    templates: they come back, and the pipelines, scripts and settings the snapshot does not
    hold stay."""
    repo, location = new_repo(client, repo_root)
    fill_kinds(client, "gs-data")
    make_global_state(client)
    snapshot(client, repo, "old")
    folder = location / FS_BUCKET / "snapshots"
    (meta_file,) = folder.iterdir()
    meta = json.loads(meta_file.read_bytes())
    meta["global_state"] = {kind: meta["global_state"][kind]
                            for kind in ("template", "index_template", "component_template")}
    assert set(meta["global_state"]["template"]) >= {"gs-legacy"}
    meta_file.write_bytes(json.dumps(meta).encode())
    delete_global_state(client)
    client.ingest.put_pipeline(id="gs-tag", body={"processors": []})
    client.put_script(id="gs-scale", body=SCRIPT)
    client.cluster.put_settings(body={"persistent": {"search.max_buckets": 1}})

    restore(client, repo, "old", "gs-old", include_global_state=True)
    present = global_state_present(client)
    assert (present["legacy"], present["composable"], present["component"]) == (True,) * 3
    assert client.ingest.get_pipeline(id="gs-tag")["gs-tag"] == {"processors": []}
    assert client.get_script(id="gs-scale")["found"] is True
    assert max_buckets(client) == "1"


def test_kill_during_a_global_restore_then_restart_finishes_it(tmp_path: Path) -> None:
    """A restore is recorded before its first step: killed with its files fetched (nothing
    registered, no global state put back), the next start runs it again, global state too."""
    server, repo_root, env = paused_server(tmp_path, "restore:fetched")
    try:
        client = client_of(server)
        repo, _ = new_repo(client, repo_root)
        fill_kinds(client, "gs-data")
        make_global_state(client)
        snapshot(client, repo, "s")
        delete_global_state(client)
        assert client.snapshot.restore(repository=repo, snapshot="s", body={
            "indices": "gs-data", "rename_pattern": "gs-data", "rename_replacement": "gs-k",
            "include_global_state": True}) == {"accepted": True}
        marker = wait_for_pause(server, "restore:fetched")
        assert set(global_state_present(client).values()) == {False}
        server.kill()
        start_unpaused(server, marker, env)
        wait_for(lambda: all(global_state_present(client).values()), timeout=60,
                 what="the resumed restore's global state")
        client.index(index="gs-piped", id="1", body={"kind": "flow"}, pipeline="gs-tag",
                     refresh=True)
        assert client.get(index="gs-piped", id="1")["_source"]["tagged"] == "by-flow"
        assert_terms_allowed(client, "gs-k", allowed=False)
    finally:
        server.stop()


def test_a_global_state_that_does_not_compile_restores_nothing(client: OpenSearch,
                                                               repo_root: Path) -> None:
    """A pipeline that no longer compiles (a tampered or newer snapshot) refuses the restore
    before it starts: no index, no pipeline, no setting."""
    repo, location = new_repo(client, repo_root)
    fill_kinds(client, "gs-data")
    make_global_state(client)
    snapshot(client, repo, "bad")
    (meta_file,) = (location / FS_BUCKET / "snapshots").iterdir()
    meta = json.loads(meta_file.read_bytes())
    meta["global_state"]["ingest_pipeline"]["gs-tag"] = {"processors": [{"nope": {}}]}
    meta_file.write_bytes(json.dumps(meta).encode())
    delete_global_state(client)
    with pytest.raises(TransportError) as caught:
        restore(client, repo, "bad", "gs-bad", include_global_state=True)
    assert caught.value.status_code == 400
    assert "nope" in caught.value.info["error"]["reason"]
    assert not client.indices.exists(index="gs-bad")
    assert set(global_state_present(client).values()) == {False}
