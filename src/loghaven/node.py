"""A Loghaven node: the configuration and the engine state that the API serves."""

from __future__ import annotations

import time
import uuid

from loghaven import __version__
from loghaven.config import Config
from loghaven.engine.catalog import Catalog
from loghaven.engine.recovery import check_metastore
from loghaven.ingest.workers import IngestWorkers
from loghaven.storage.metastore import SqliteMetastore

#: The OpenSearch version we present ourselves as to clients.
COMPAT_VERSION = "2.11.0"


class Node:
    def __init__(self, config: Config) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        check_metastore(config.data_dir)  # MetastoreLost: never start on a lost metastore
        self.metastore = SqliteMetastore(config.data_dir / "metastore.sqlite")
        self.catalog = Catalog(config.data_dir, self.metastore)
        self.ingest_workers = IngestWorkers(config.ingest_workers)
        self.started = time.time()
        self.version = __version__
        self.node_id = self._node_id()

    def _node_id(self) -> str:
        stored = self.metastore.get("cluster", "node")
        if stored is None:
            stored = {"id": uuid.uuid4().hex[:22]}
            self.metastore.put("cluster", "node", stored)
        return stored["id"]

    def start(self) -> None:
        self.catalog.start()

    def close(self) -> None:
        self.ingest_workers.close()
        self.catalog.close()
