"""The tasks API over HTTP: background _reindex and by-query runs (wait_for_completion=false),
listing, getting, cancelling and rethrottling them, and their results across restarts.

Throttling makes a task run as long as a test needs: with a batch size of one document and a
low ``requests_per_second``, each batch waits seconds for the next; cancelling or
rethrottling ends the wait at once, so no test waits for the throttle itself.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from opensearchpy import OpenSearch

from conftest import Server
from searchdata import load

#: Slow enough that no throttled task ends by itself during a test.
CRAWL = "requests_per_second=0.01"
DOCS = {str(i): {"n": i} for i in range(5)}


def _start(es: httpx.Client, path: str, body: dict[str, Any] | None, query: str) -> str:
    response = es.post(f"{path}?wait_for_completion=false&{query}", json=body)
    assert response.status_code == 200, response.text
    task_id = response.json()["task"]
    node, _, number = task_id.partition(":")
    assert node and number.isdigit()
    return str(task_id)


def _slow_reindex(es: httpx.Client, source: str, dest: str) -> str:
    return _start(es, "/_reindex", {"source": {"index": source, "size": 1},
                                    "dest": {"index": dest}}, CRAWL)


def _listed(es: httpx.Client, task_id: str, query: str = "") -> dict[str, Any]:
    body = es.get(f"/_tasks?{query}").json()
    tasks = {key: task for node in body["nodes"].values() for key, task in node["tasks"].items()}
    return tasks[task_id]


def _finished(es: httpx.Client, task_id: str) -> dict[str, Any]:
    response = es.get(f"/_tasks/{task_id}?wait_for_completion=true&timeout=30s")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["completed"] is True
    return body


def test_a_background_reindex_is_listed_rethrottled_and_its_result_kept(
        es: httpx.Client, index_name: str) -> None:
    load(es, index_name, DOCS)
    dest = f"{index_name}-copy"
    task_id = _slow_reindex(es, index_name, dest)
    deadline = time.monotonic() + 20
    while not (task := _listed(es, task_id, "actions=*reindex&detailed=true"))["status"][
            "batches"]:
        assert time.monotonic() < deadline, "the first batch never ran"
        time.sleep(0.05)
    assert task["action"] == "indices:data/write/reindex"
    assert task["description"] == f"reindex from [{index_name}] to [{dest}]"
    assert task["cancellable"] is True and task["cancelled"] is False
    status = task["status"]
    assert status["requests_per_second"] == 0.01 and status["batches"] >= 1
    assert set(status) >= {"total", "updated", "created", "deleted", "batches",
                           "version_conflicts", "noops", "retries", "throttled_millis",
                           "throttled_until_millis"}
    assert task_id in es.get("/_tasks?group_by=parents").json()["tasks"]
    assert task_id not in {f"{t['node']}:{t['id']}" for t in es.get(
        "/_tasks?group_by=none&actions=*byquery").json()["tasks"]}
    running = es.get(f"/_tasks/{task_id}").json()
    assert running["completed"] is False and running["task"]["id"] == task["id"]
    rethrottled = es.post(f"/_reindex/{task_id}/_rethrottle?requests_per_second=-1").json()
    (node,) = rethrottled["nodes"].values()
    assert node["tasks"][task_id]["status"]["requests_per_second"] == -1.0
    done = _finished(es, task_id)
    assert done["task"]["action"] == "indices:data/write/reindex"
    response = done["response"]
    assert (response["total"], response["created"], response["failures"]) == (5, 5, [])
    assert response["batches"] == 5 and response["throttled_millis"] >= 0
    assert es.get(f"/_tasks/{task_id}").json() == done
    es.post(f"/{dest}/_refresh")
    assert es.get(f"/{dest}/_count").json()["count"] == 5
    assert es.get("/_tasks?actions=*reindex").json() == {"nodes": {}}


def test_cancelling_by_id_and_by_action(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, DOCS)
    load(es, f"{index_name}-b", DOCS)
    update = _start(es, f"/{index_name}/_update_by_query", None, f"scroll_size=1&{CRAWL}")
    delete = _start(es, f"/{index_name}-b/_delete_by_query", {"query": {"match_all": {}}},
                    f"scroll_size=1&{CRAWL}")
    assert _listed(es, update, "detailed=true")["description"] == \
        f"update-by-query [{index_name}]"
    cancelled = es.post(f"/_tasks/{update}/_cancel").json()
    (node,) = cancelled["nodes"].values()
    assert list(node["tasks"]) == [update] and node["tasks"][update]["cancelled"] is True
    by_action = es.post("/_tasks/_cancel?actions=*delete/byquery&wait_for_completion=true")
    (node,) = by_action.json()["nodes"].values()
    assert list(node["tasks"]) == [delete]
    for task_id, counter in ((update, "updated"), (delete, "deleted")):
        response = _finished(es, task_id)["response"]
        assert response["canceled"] == "by user request"
        assert 1 <= response[counter] < len(DOCS)
    missing = es.post(f"/_tasks/{update}/_cancel")
    assert missing.status_code == 200
    failure, = missing.json()["node_failures"]
    assert failure["type"] == "failed_node_exception"
    assert failure["caused_by"] == {"type": "resource_not_found_exception",
                                    "reason": f"task [{update}] is missing"}
    assert es.post(f"/_update_by_query/{update}/_rethrottle").status_code == 400


def test_a_waiting_request_is_a_cancellable_task(es: httpx.Client, index_name: str,
                                                 server: Server) -> None:
    load(es, index_name, DOCS)
    answers: list[httpx.Response] = []

    def run() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as own:
            answers.append(own.post(f"/_reindex?{CRAWL}", json={
                "source": {"index": index_name, "size": 1},
                "dest": {"index": f"{index_name}-fg"}}))
    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 20
    description = f"reindex from [{index_name}] to [{index_name}-fg]"
    while not (ours := [key for node in es.get("/_tasks?detailed=true").json()["nodes"].values()
                        for key, task in node["tasks"].items()
                        if task["description"] == description]):
        assert time.monotonic() < deadline, "the reindex was never listed"
        time.sleep(0.05)
    es.post(f"/_tasks/{ours[0]}/_cancel")
    thread.join(30)
    (answer,) = answers
    assert answer.status_code == 200, answer.text
    assert answer.json()["canceled"] == "by user request"


def test_get_task_errors(es: httpx.Client) -> None:
    node_id = next(iter(es.get("/_nodes").json()["nodes"]))
    missing = es.get(f"/_tasks/{node_id}:999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "resource_not_found_exception"
    assert es.get("/_tasks/nonsense").status_code == 400


def test_results_survive_a_restart_and_an_interrupted_task_is_reported(
        fresh_server: Server) -> None:
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        load(es, "src", DOCS)
        finished = _start(es, "/_reindex", {"source": {"index": "src"},
                                            "dest": {"index": "done"}}, "refresh=true")
        result = _finished(es, finished)
        stopped = _slow_reindex(es, "src", "stopped")
    fresh_server.restart()  # SIGTERM: the running task stops and records why
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        assert es.get(f"/_tasks/{finished}").json() == result
        assert _finished(es, stopped)["response"]["canceled"] == "node is shutting down"
        killed = _slow_reindex(es, "src", "killed")
        assert killed.split(":")[1] > finished.split(":")[1]
    fresh_server.kill()
    fresh_server.start()
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        body = _finished(es, killed)
        assert "response" not in body
        assert body["error"]["type"] == "node_closed_exception"
        assert "restarted" in body["error"]["reason"]
        assert body["task"]["action"] == "indices:data/write/reindex"
        assert es.get(f"/_tasks/{finished}").json() == result


def test_opensearch_py_reindex_task(server: Server, index_name: str) -> None:
    client = OpenSearch(hosts=[server.url])
    client.index(index=index_name, id="1", body={"n": 1}, refresh=True)
    started = client.reindex(body={"source": {"index": index_name},
                                   "dest": {"index": f"{index_name}-py"}},
                             wait_for_completion=False)
    done = client.tasks.get(task_id=started["task"], wait_for_completion=True)
    assert done["completed"] is True and done["response"]["created"] == 1
