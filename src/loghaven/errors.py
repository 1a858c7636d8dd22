"""Errors that carry their Elasticsearch type and HTTP status.

Every layer raises these; the API layer turns them into the ES error body
``{"error": {"root_cause": [...], "type": ..., "reason": ...}, "status": N}``.
"""

from __future__ import annotations

from typing import Any


class LoghavenError(Exception):
    """An error with an Elasticsearch ``type``, a ``reason`` and an HTTP ``status``."""

    type = "exception"
    status = 500
    #: Extra response headers (a 401's challenge).
    headers: dict[str, str] = {}

    def __init__(self, reason: str, *, status: int | None = None, type: str | None = None,
                 **extra: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        self.extra = extra

    def to_cause(self) -> dict[str, Any]:
        """The ``{"type", "reason", ...}`` object used in root_cause and bulk items."""
        cause: dict[str, Any] = {"type": self.type, "reason": self.reason}
        cause.update(self.extra)
        return cause

    def to_body(self) -> dict[str, Any]:
        cause = self.to_cause()
        return {"error": {"root_cause": [cause], **cause}, "status": self.status}


class SecurityException(LoghavenError):
    """A denial: the caller is known but may not do this (403), as OpenSearch's security."""

    type = "security_exception"
    status = 403


class AuthenticationRequired(SecurityException):
    """No credentials, or wrong ones (401), with the challenge clients answer with Basic or an
    API key."""

    status = 401
    headers = {"WWW-Authenticate": 'Basic realm="security" charset="UTF-8", ApiKey'}


class IndexNotFound(LoghavenError):
    type = "index_not_found_exception"
    status = 404

    def __init__(self, index: str) -> None:
        super().__init__(f"no such index [{index}]", index=index,
                         **{"resource.type": "index_or_alias", "resource.id": index,
                            "index_uuid": "_na_"})


class ResourceAlreadyExists(LoghavenError):
    type = "resource_already_exists_exception"
    status = 400


class InvalidIndexName(LoghavenError):
    type = "invalid_index_name_exception"
    status = 400


class VersionConflict(LoghavenError):
    type = "version_conflict_engine_exception"
    status = 409


class DocumentMissing(LoghavenError):
    type = "document_missing_exception"
    status = 404


class MapperParsing(LoghavenError):
    type = "mapper_parsing_exception"
    status = 400


class StrictDynamicMapping(LoghavenError):
    type = "strict_dynamic_mapping_exception"
    status = 400


class ParsingError(LoghavenError):
    type = "parsing_exception"
    status = 400


class IllegalArgument(LoghavenError):
    type = "illegal_argument_exception"
    status = 400


class ResourceNotFound(LoghavenError):
    type = "resource_not_found_exception"
    status = 404


class IndexClosed(LoghavenError):
    type = "index_closed_exception"
    status = 400

    def __init__(self, index: str) -> None:
        super().__init__("closed", index=index)


class ActionRequestValidation(LoghavenError):
    type = "action_request_validation_exception"
    status = 400


class ContentTooLarge(LoghavenError):
    type = "content_too_long_exception"
    status = 413


class TranslogFailure(LoghavenError):
    """The write-ahead log could not take or fsync the operations: nothing was acknowledged.

    A 500, as Elasticsearch answers a translog failure, so that clients retry the item
    instead of dropping it as a bad document (which they do with a 400).
    """

    type = "translog_exception"
    status = 500

    def __init__(self, index: str, error: OSError) -> None:
        super().__init__(f"[{index}][0] failed to write or sync the write-ahead log",
                         caused_by={"type": "i_o_exception",
                                    "reason": error.strerror or str(error)})


class EngineFailure(LoghavenError):
    """tantivy failed to add or commit (a full disk kills its writer): retry later."""

    type = "engine_exception"
    status = 500

    def __init__(self, index: str, error: Exception) -> None:
        super().__init__(f"[{index}][0] the index writer failed; the operations are kept in "
                         f"the write-ahead log", caused_by={"type": "i_o_exception",
                                                            "reason": str(error)})


class ClusterBlock(LoghavenError):
    """A write to an index under a block, such as the flood-stage disk watermark's."""

    type = "cluster_block_exception"
    status = 429


class ShardUnavailable(LoghavenError):
    """The index exists but could not be opened (it is red): reads and writes answer 503."""

    type = "no_shard_available_action_exception"
    status = 503

    def __init__(self, index: str, index_uuid: str, failure: str) -> None:
        super().__init__(f"No shard available for [{index}][0]: the index failed to open: "
                         f"{failure}", index=index, index_uuid=index_uuid, shard="0")


class XContentParse(LoghavenError):
    """A body value of the wrong JSON type where ES's object parsers declare a field."""

    type = "x_content_parse_exception"
    status = 400


class ParseFailure(LoghavenError):
    """ES's ``ElasticsearchParseException`` (``parse_exception``): a body it could not read."""

    type = "parse_exception"
    status = 400


class InvalidAliasName(LoghavenError):
    type = "invalid_alias_name_exception"
    status = 400


#: Modules that only read and check what a request sends. An unexpected ``TypeError`` (etc.)
#: raised *in* one of them is a request it failed to refuse properly, so a 400; raised
#: anywhere else (the engine, storage, a search running) it is the server's fault, a 500.
REQUEST_PARSING_MODULES = (
    "loghaven.api.", "loghaven.params", "loghaven.search.request", "loghaven.search.query.",
    "loghaven.search.lucene", "loghaven.search.source_filter", "loghaven.search.aggregations.",
    "loghaven.engine.settings", "loghaven.engine.mapping", "loghaven.engine.names",
    "loghaven.engine.templates", "loghaven.engine.dates", "loghaven.engine.analysis",
    "loghaven.ingest.bulk",
)
_CONFUSION = (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError)


def unexpected_error(exc: BaseException) -> LoghavenError:
    """The ES error for an exception no code turned into one: a last-resort net for parsing.

    Only when the innermost Loghaven frame of the traceback is a request-parsing module is it
    a 400; an I/O error or anything raised by the engine stays a 500.
    """
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, _CONFUSION) and not isinstance(exc, OSError):
        module = ""
        tb = exc.__traceback__
        while tb is not None:
            name = tb.tb_frame.f_globals.get("__name__", "")
            if name.startswith("loghaven."):
                module = name
            tb = tb.tb_next
        if module.startswith(REQUEST_PARSING_MODULES):
            return IllegalArgument(f"failed to parse the request: {text}")
    return LoghavenError(text, status=500)
