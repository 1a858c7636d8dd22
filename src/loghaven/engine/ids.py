"""Document ids: what Elasticsearch accepts as an ``_id``, checked before anything is written.

Any UTF-8 text of 1 to 512 bytes is an id (ES's ``IndexRequest`` limit); Loghaven also refuses
the NUL character, which the write-ahead log and tantivy's term dictionary would carry but no
client can send back in a URL.
"""

from __future__ import annotations

from loghaven.errors import ActionRequestValidation

#: Elasticsearch's ``MAX_DOCUMENT_ID_LENGTH_IN_BYTES``.
MAX_ID_BYTES = 512


def check_doc_id(doc_id: str | None, op: str = "index") -> None:
    """Raise ES's ``action_request_validation_exception`` for an id it would refuse."""
    if doc_id is None:
        return
    if not doc_id:
        raise ActionRequestValidation(
            "Validation Failed: 1: if _id is specified it must not be empty;"
            if op in ("index", "create") else "Validation Failed: 1: id is missing;")
    size = len(doc_id.encode("utf-8", "surrogatepass"))
    if size > MAX_ID_BYTES:
        raise ActionRequestValidation(
            f"Validation Failed: 1: id [{doc_id}] is too long, must be no longer than "
            f"{MAX_ID_BYTES} bytes but was: {size};")
    if "\x00" in doc_id:
        raise ActionRequestValidation(
            "Validation Failed: 1: id must not contain the NUL character (\\u0000);")
    try:
        doc_id.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ActionRequestValidation(
            "Validation Failed: 1: id must be valid UTF-8 (it has a lone surrogate);") from exc
