"""What the node installs for the built-in parsers at start (``parsers.install``): missing
pipelines and templates only, so a user's changes stay and a deleted one comes back;
nothing with ``ingest.parsers.install: false``."""

from __future__ import annotations

from pathlib import Path

import httpx

from conftest import Server
from loghaven.ingest.parsers import PARSERS


def test_install_keeps_a_users_changes_and_restores_deleted_ones(fresh_server: Server) -> None:
    es = httpx.Client(base_url=fresh_server.url, timeout=30)
    for parser in PARSERS.values():
        assert es.get(f"/_ingest/pipeline/{parser.pipeline_id}").status_code == 200
        assert es.get(f"/_index_template/{parser.template_name}").status_code == 200
    mine = {"description": "my WAF pipeline", "processors": [
        {"set": {"field": "mine", "value": True}}]}
    assert es.put("/_ingest/pipeline/loghaven-aws-waf", json=mine).status_code == 200
    template = {"index_patterns": ["awswaf-*"], "priority": 10,
                "template": {"settings": {"index": {"number_of_replicas": 0}}}}
    assert es.put("/_index_template/loghaven-aws-waf", json=template).status_code == 200
    assert es.delete("/_ingest/pipeline/loghaven-vpcflow").status_code == 200
    assert es.delete("/_index_template/loghaven-cloudtrail").status_code == 200
    fresh_server.restart()
    waf = es.get("/_ingest/pipeline/loghaven-aws-waf").json()["loghaven-aws-waf"]
    assert waf["description"] == "my WAF pipeline"
    stored = es.get("/_index_template/loghaven-aws-waf").json()["index_templates"][0]
    assert "default_pipeline" not in str(stored["index_template"])
    vpcflow = es.get("/_ingest/pipeline/loghaven-vpcflow").json()["loghaven-vpcflow"]
    assert vpcflow == PARSERS["vpcflow"].pipeline
    trail = es.get("/_index_template/loghaven-cloudtrail").json()["index_templates"][0]
    assert trail["index_template"]["index_patterns"] == ["cloudtrail-*"]
    assert trail["index_template"]["_meta"]["managed_by"] == "loghaven"


def test_install_false_installs_nothing(tmp_path: Path) -> None:
    (tmp_path / "loghaven.yml").write_text("ingest.parsers.install: false\n")
    server = Server(tmp_path / "data").start()
    try:
        es = httpx.Client(base_url=server.url, timeout=30)
        pipelines = es.get("/_ingest/pipeline/loghaven-*")
        assert pipelines.status_code == 404 and pipelines.json() == {}
        for parser in PARSERS.values():
            assert es.get(f"/_index_template/{parser.template_name}").status_code == 404
        # and a WAF index then gets no default pipeline
        es.put("/awswaf-2026-11-26/_doc/1?refresh=true", json={"timestamp": 1795688132000})
        settings = es.get("/awswaf-2026-11-26/_settings").json()
        assert "default_pipeline" not in str(settings)
    finally:
        server.kill()
