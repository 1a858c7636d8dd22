"""The HEC service (``node.hec``): which token a request acts with, its events written
through the write service, acknowledgements and health.

With security on, the edge's guard authenticated ``Authorization: Splunk <token>`` on the
routes the permission table marks ``hec`` and acts as the token's owner, limited to its
indexes (security/hec_tokens.py); with security off (the default) the token is checked here,
against the same tokens (the metastore's and ``hec.tokens``), and its allowed indexes applied
by the event parser. Either way a request writes only what its token allows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from loghaven.config import Config
from loghaven.engine.catalog import Catalog
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.index import Index
from loghaven.errors import ClusterBlock, LoghavenError, SecurityException
from loghaven.hec import errors
from loghaven.hec.acks import Acks, Durability, check_channel
from loghaven.hec.errors import HecError
from loghaven.hec.events import Defaults, Parsed, parse_events, parse_raw, seconds_param
from loghaven.ingest.bulk import BulkItem
from loghaven.ingest.service import WriteService
from loghaven.security.context import current
from loghaven.security.service import SecurityService

Token = Mapping[str, Any]


class HecService:
    def __init__(self, config: Config, security: SecurityService, writes: WriteService,
                 catalog: Catalog) -> None:
        self.enabled = config.hec_enabled
        self.security = security
        self.writes = writes
        self.catalog = catalog
        self.acks = Acks(parse_duration_ms(config.hec_ack_channel_timeout,
                                           "hec.ack.channel_timeout") / 1000,
                         config.hec_ack_max_pending)

    # -- who sends --

    def token(self, authorization: str | None, query_token: bool) -> Token:
        """The settings of the request's token: the guard's subject's with security on, the
        ``Authorization`` header's otherwise (Splunk's codes 1-4 and 16 when it has none
        that is usable)."""
        if not self.enabled:
            raise HecError(errors.TOKEN_DISABLED)
        if self.security.enabled:
            acting = current()
            record = self.security.hec_token(acting.subject) if acting is not None else None
            if record is None:  # a user's password or API key: not a HEC token
                raise HecError(errors.INVALID_AUTHORIZATION)
            return record
        if not authorization:
            raise HecError(errors.QUERY_STRING_AUTH if query_token else errors.TOKEN_REQUIRED)
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "splunk" or not credentials.strip():
            raise HecError(errors.INVALID_AUTHORIZATION)
        record = self.security.find_hec_token(credentials.strip())
        if record is None:
            raise HecError(errors.INVALID_TOKEN)
        if record.get("disabled"):
            raise HecError(errors.TOKEN_DISABLED)
        return record

    # -- events --

    def submit(self, token: Token, data: bytes, *, raw: bool, channel: str | None,
               params: Mapping[str, str]) -> dict[str, Any]:
        """Write a request's events; Splunk's answer (with ``ackId`` when the token has
        ``useACK``), or HecError for the first bad event (those before it are written)."""
        if not data.strip():
            raise HecError(errors.NO_DATA)
        if channel is not None:
            check_channel(channel)
        use_ack = bool(token.get("useACK"))
        if use_ack:
            if channel is None:
                raise HecError(errors.CHANNEL_MISSING)
            self.acks.reserve()
        defaults = Defaults(
            host=params.get("host") or token.get("host"),
            source=params.get("source") or token.get("source"),
            sourcetype=params.get("sourcetype") or token.get("sourcetype"),
            index=params.get("index") or token.get("index"),
            time=seconds_param(params.get("time")) if raw else None,
            indexes=tuple(token.get("indexes") or ()))
        arrival = time.time()
        parsed = parse_raw(data, defaults, arrival) if raw \
            else parse_events(data, defaults, arrival)
        written = self._write(parsed)
        if parsed.error is not None:
            raise parsed.error
        if not use_ack:
            return errors.body(errors.SUCCESS)
        assert channel is not None
        marks = tuple((index.wal, index.wal.appended) for index in written
                      if index.wal is not None)
        return errors.body(errors.SUCCESS, ackId=self.acks.add(channel, Durability(marks)))

    def _write(self, parsed: Parsed) -> list[Index]:
        """Write the documents; the indexes written. The first failed event becomes the
        request's error (with its number) unless parsing stopped earlier."""
        if not parsed.documents:
            return []
        items = [BulkItem("index", index, _request(document))
                 for index, document in parsed.documents]
        written: dict[str, Index] = {}
        for number, (index, outcome) in enumerate(self.writes.write_items(items)):
            if isinstance(outcome, LoghavenError):
                code = _code(outcome)  # the event's fault, or the node's (busy, internal)
                parsed.error = HecError(code, event=number if code in (
                    errors.INVALID_DATA_FORMAT, errors.INCORRECT_INDEX) else None)
                break
            if index is not None:
                written[index.name] = index
        return list(written.values())

    # -- acknowledgements and health --

    def ack(self, token: Token, channel: str | None, data: bytes) -> dict[str, Any]:
        """``/services/collector/ack``: ``{"acks": [ids]}`` → ``{"acks": {"id": bool}}``."""
        if not token.get("useACK"):
            raise HecError(errors.ACK_DISABLED)
        if channel is None:
            raise HecError(errors.CHANNEL_MISSING)
        check_channel(channel)
        if not data.strip():
            raise HecError(errors.NO_DATA)
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise HecError(errors.INVALID_DATA_FORMAT) from None
        ids = body.get("acks") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise HecError(errors.INVALID_DATA_FORMAT)
        return {"acks": self.acks.query(channel, ids)}

    def health(self) -> dict[str, Any]:
        """``/services/collector/health``: healthy (17), or 503 with 18 (writes blocked: the
        data disk past its flood stage), 19 (too many unanswered acks) or 20 (both)."""
        if not self.enabled:
            raise HecError(errors.TOKEN_DISABLED)
        blocked, acks_full = self.catalog.disk.flood, self.acks.full()
        if blocked or acks_full:
            raise HecError(errors.UNHEALTHY_BOTH if blocked and acks_full
                           else errors.UNHEALTHY_QUEUES if blocked else errors.UNHEALTHY_ACKS)
        return errors.body(errors.HEALTHY)


def _request(document: dict[str, Any]) -> WriteRequest:
    return WriteRequest(op="index", source=orjson.dumps(document))


def _code(error: LoghavenError) -> int:
    """Splunk's code for a write's failure: the index refused (a name it may not have, one
    the owner may not write), writes blocked (busy), the document (invalid data), ours."""
    if isinstance(error, SecurityException) or error.type in (
            "invalid_index_name_exception", "index_closed_exception",
            "index_not_found_exception"):
        return errors.INCORRECT_INDEX
    if isinstance(error, ClusterBlock) or error.status in (429, 503):
        return errors.SERVER_BUSY
    return errors.INVALID_DATA_FORMAT if error.status < 500 else errors.INTERNAL_ERROR
