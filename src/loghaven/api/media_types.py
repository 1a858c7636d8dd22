"""Request body media types: which ones a route takes, as Elasticsearch's RestController decides.

ES refuses a request that has a body but no Content-Type, or one it cannot parse, with 406 and
its short error body ``{"error": "Content-Type header [text/plain] is not supported",
"status": 406}``. That check is what stops a web page: the types a page may post without a CORS
preflight (``text/plain``, forms, multipart, or none at all) are exactly the ones refused.
ES also parses SMILE, CBOR and YAML; Loghaven parses only JSON, so those are refused the same
way (docs/decisions/0005-browser-safety.md).
"""

from __future__ import annotations

#: JSON and NDJSON, plain or as Elasticsearch's ``compatible-with`` vendor types.
ES_BODY_TYPES = frozenset({
    "application/json",
    "application/x-ndjson",
    "application/vnd.elasticsearch+json",
    "application/vnd.elasticsearch+x-ndjson",
})


def media_type(value: str) -> str:
    """``type/subtype`` of a Content-Type value, lower-cased, parameters (charset...) dropped."""
    return value.split(";", 1)[0].strip().lower()


def content_type_refusal(values: list[str], accepted: frozenset[str]) -> str | None:
    """ES's 406 message for a body with these Content-Type header values, or None if accepted."""
    if not values:
        return "Content-Type header is missing"
    if len(values) == 1 and media_type(values[0]) in accepted:
        return None
    return f"Content-Type header [{','.join(values)}] is not supported"
