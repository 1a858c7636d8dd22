"""AWS-style access keys of users, for SigV4-signed requests (security/sigv4.py).

An id (``LHAK`` and 16 characters of AWS's alphabet: 20, as AWS's ``AKIA...``) and a secret
of 40 characters (240 random bits). The secret is shown once, at creation, and stored sealed
with the node key (security/sealing.py): the signature check needs the secret itself, so it
cannot be stored as a one-way hash as passwords and API keys are.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from loghaven import params
from loghaven.errors import ActionRequestValidation

PREFIX = "LHAK"
_ID_ALPHABET = string.ascii_uppercase + "234567"
_DESCRIPTION_MAX = 256
#: OpenSearch-style permission to manage other users' access keys (one's own needs none).
MANAGE_ACTION = "restapi:admin/accesskeys"


def new_id() -> str:
    return PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def new_secret() -> str:
    return secrets.token_urlsafe(30)


def description(body: Mapping[str, Any]) -> str:
    value = params.expect_string(body.get("description", ""), "description", "access_key")
    if len(value) > _DESCRIPTION_MAX:
        raise ActionRequestValidation(f"Validation Failed: 1: description may not be more "
                                      f"than [{_DESCRIPTION_MAX}] characters long;")
    return value


def render(record: Mapping[str, Any]) -> dict[str, Any]:
    """A key as the API lists it (never its secret)."""
    return {"access_key_id": record["id"], "user": record["user"],
            "description": record.get("description", ""), "created": record["created"]}
