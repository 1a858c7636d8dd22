"""A maintained SQL client from PyPI connects and queries: elasticsearch-dbapi 0.3.0 (Preset's
DB-API driver and SQLAlchemy dialect ``odelasticsearch``, which Superset uses).

It speaks ``POST /_plugins/_sql/`` with ``fetch_size`` on every statement and follows cursors,
reads the version from ``GET /``, ``plugins.query.size_limit`` from ``_cluster/settings``,
lists tables with ``SHOW TABLES LIKE %`` and ``_cat/indices``/``_cat/aliases``, and columns from
``_mapping``. Its requirements (opensearch-py<3, elasticsearch<8) conflict with the test venv's,
so it runs in ``.venv-sqlclient`` (scripts/setup-test-env.sh makes it) as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import Server
from tests.sql.service_data import load_over_http

CLIENT_PYTHON = Path(__file__).resolve().parents[2] / ".venv-sqlclient" / "bin" / "python"
INDEX = "dbapi_waf"
COUNTRIES = ("DE", "FR", "US", "BR")
DOCS = [{"n": n, "ip": f"10.0.{n % 5}.{n % 11}", "country": COUNTRIES[n % 4],
         "bytes": n * 10, "blocked": n % 3 == 0} for n in range(37)]
MAPPING = {"properties": {"n": {"type": "long"}, "ip": {"type": "keyword"},
                          "country": {"type": "keyword"}, "bytes": {"type": "long"},
                          "blocked": {"type": "boolean"}}}

#: What the client does, as an application would; prints what it got as JSON.
SCRIPT = """
import json, sys
from sqlalchemy import create_engine, inspect, text
from es.baseapi import BaseCursor
from es.opendistro import connect

port, index = int(sys.argv[1]), sys.argv[2]
out = {}
pages = []  # the cursors the client followed
follow = BaseCursor.elastic_cursor_query
BaseCursor.elastic_cursor_query = lambda self, cursor: pages.append(cursor) or follow(self, cursor)
# fetch_size from the URL arrives as a string, as the dialect passes URL parameters on
engine = create_engine(f"odelasticsearch+http://127.0.0.1:{port}/?fetch_size=3")
with engine.connect() as connection:
    result = connection.execute(text(
        f"SELECT country, COUNT(*) AS hits, SUM(bytes) AS total FROM {index} "
        f"GROUP BY country"))
    out["grouped"] = [list(row) for row in result]
    out["grouped_keys"] = list(result.keys())
    out["grouped_pages"] = len(pages)
    out["one"] = connection.execute(text("SELECT 1")).scalar()
inspector = inspect(engine)
out["tables"] = inspector.get_table_names()
out["columns"] = {c["name"]: type(c["type"]).__name__ for c in inspector.get_columns(index)}
out["version"] = list(engine.dialect.server_version_info or [])

connection = connect(host="127.0.0.1", port=port, scheme="http", fetch_size=4)
cursor = connection.cursor()
pages.clear()
cursor.execute(f"SELECT n, ip, blocked FROM {index} WHERE bytes >= 50")
out["paged_pages"] = len(pages)
out["paged"] = [list(row) for row in cursor.fetchall()]
out["description"] = [d[0] for d in cursor.description]
cursor.execute(f"SELECT n FROM {index} WHERE country = %(country)s", {"country": "BR"})
out["bound"] = sorted(row[0] for row in cursor.fetchall())
connection.close()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(Path(tmp_path_factory.mktemp("dbapi")) / "data").start()
    with httpx.Client(base_url=instance.url, timeout=60) as client:
        load_over_http(client, INDEX, MAPPING, DOCS)
    yield instance
    instance.stop()


def test_elasticsearch_dbapi_connects_reflects_and_queries(server: Server) -> None:
    assert CLIENT_PYTHON.exists(), (
        f"{CLIENT_PYTHON} is missing: run scripts/setup-test-env.sh, which installs "
        f"elasticsearch-dbapi into its own venv .venv-sqlclient")
    run = subprocess.run([str(CLIENT_PYTHON), "-c", SCRIPT, str(server.port), INDEX],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-4000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])

    counts = Counter(d["country"] for d in DOCS)
    sums = Counter()
    for d in DOCS:
        sums[d["country"]] += d["bytes"]
    assert got["grouped_keys"] == ["country", "hits", "total"]
    assert sorted(got["grouped"]) == sorted([c, counts[c], sums[c]] for c in COUNTRIES)
    assert got["grouped_pages"] == 1  # 4 groups in pages of 3 (fetch_size from the URL)
    assert got["one"] == 1
    assert INDEX in got["tables"]
    assert got["columns"] == {"n": "LONG", "ip": "String", "country": "String",
                              "bytes": "LONG", "blocked": "BOOLEAN"}
    assert got["version"] == [2, 11, 0]

    # 32 rows in pages of 4: every row once, values typed as the schema says
    expected = sorted([d["n"], d["ip"], d["blocked"]] for d in DOCS if d["bytes"] >= 50)
    assert len(expected) == 32
    assert sorted(got["paged"]) == expected
    assert got["paged_pages"] == 7
    assert got["description"] == ["n", "ip", "blocked"]
    assert got["bound"] == [d["n"] for d in DOCS if d["country"] == "BR"]
