"""Channel configurations in the metastore (kind ``notifications_config``), secrets sealed.

A record keeps the config as GET shows it (secrets redacted) and each secret sealed with the
node key (security/sealing.py), bound to the config id and the secret's path: listing never
opens a secret, and the metastore's file holds none in clear.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from loghaven.notify import channels
from loghaven.security.sealing import NodeKey
from loghaven.storage.metastore import Metastore

KIND = "notifications_config"


@dataclass(frozen=True)
class ConfigRecord:
    config_id: str
    #: The config as GET shows it.
    public: dict[str, Any]
    created_time_ms: int
    last_updated_time_ms: int

    @property
    def config_type(self) -> str:
        return self.public["config_type"]

    @property
    def name(self) -> str:
        return self.public["name"]

    def info(self) -> dict[str, Any]:
        """OpenSearch's ``NotificationConfigInfo``."""
        return {"config_id": self.config_id, "last_updated_time_ms": self.last_updated_time_ms,
                "created_time_ms": self.created_time_ms, "config": self.public}


class ConfigStore:
    def __init__(self, metastore: Metastore, node_key: NodeKey) -> None:
        self.metastore = metastore
        self.node_key = node_key

    def put(self, config_id: str, config: dict[str, Any], created_ms: int,
            updated_ms: int) -> None:
        sealed = [[list(path), self.node_key.seal(value, _context(config_id, path))]
                  for path, value in channels.secrets(config)]
        self.metastore.put(KIND, config_id, {
            "config": channels.redacted(config), "secrets": sealed,
            "created_time_ms": created_ms, "last_updated_time_ms": updated_ms})

    def get(self, config_id: str) -> ConfigRecord | None:
        stored = self.metastore.get(KIND, config_id)
        return None if stored is None else _record(config_id, stored)

    def all(self) -> list[ConfigRecord]:
        return [_record(config_id, stored)
                for config_id, stored in self.metastore.list(KIND).items()]

    def config(self, config_id: str) -> dict[str, Any] | None:
        """The whole config, secrets opened: for sending, never for answering."""
        stored = self.metastore.get(KIND, config_id)
        if stored is None:
            return None
        config = deepcopy(stored["config"])
        for path, sealed in stored["secrets"]:
            channels.set_path(config, tuple(path),
                          self.node_key.unseal(sealed, _context(config_id, tuple(path))))
        return config

    def delete(self, config_id: str) -> None:
        self.metastore.delete(KIND, config_id)


def _record(config_id: str, stored: dict[str, Any]) -> ConfigRecord:
    return ConfigRecord(config_id, stored["config"], stored["created_time_ms"],
                        stored["last_updated_time_ms"])


def _context(config_id: str, path: tuple[str, ...]) -> str:
    return "notifications/" + "/".join((config_id, *path))
