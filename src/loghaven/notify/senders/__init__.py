"""One module per transport. Each sends once and says what happened; retrying is the
service's (notify/service.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One attempt: OpenSearch's status code and text, and whether another attempt may
    succeed (a connection refused, a timeout, a 5xx or 429 answer, an SMTP 4xx reply)."""

    status_code: str
    status_text: str
    transient: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code.startswith("2")


def scrub(text: str, *secrets: str) -> str:
    """``text`` (an error's message) with every secret taken out: each place it stands whole
    (not inside a longer word), so that a short header value such as ``x`` does not garble
    a receiver's error page."""
    for secret in secrets:
        if secret:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "*****",
                          text)
    return text
