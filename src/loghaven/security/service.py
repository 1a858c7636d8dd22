"""The security service: users, roles, role mappings, action groups, API keys and UI sessions
in the metastore, and authentication against them.

CONTRACT (session 5, being built by a helper): the signatures below are what the HTTP edge
(api/auth.py) and the CLI rely on.
"""

from __future__ import annotations

from loghaven.config import Config
from loghaven.errors import AuthenticationRequired
from loghaven.security.subject import Subject
from loghaven.storage.metastore import Metastore


class AuthenticationFailed(AuthenticationRequired):
    """Wrong credentials, an expired or invalidated key, or a throttled user/address (401)."""


class SecurityService:
    def __init__(self, metastore: Metastore, config: Config) -> None:
        self.metastore = metastore
        self.config = config
        #: Whether requests must authenticate (``security.enabled``).
        self.enabled = config.security_enabled

    def bootstrap(self) -> str | None:
        """On the first start with security enabled, create the ``admin`` user (role
        ``all_access``) with a generated password and return it (to be printed once); None
        when users exist already."""
        raise NotImplementedError

    def authenticate_basic(self, username: str, password: str, address: str) -> Subject:
        """The subject of an internal user's name and password; AuthenticationFailed on a
        wrong pair or while the user or address is throttled."""
        raise NotImplementedError

    def authenticate_api_key(self, encoded: str, address: str) -> Subject:
        """The subject of ``base64(id:api_key)`` (ES's ``Authorization: ApiKey``)."""
        raise NotImplementedError

    def open_session(self, subject: Subject) -> str:
        """A new UI session for ``subject``; the returned token goes in the cookie."""
        raise NotImplementedError

    def authenticate_session(self, token: str) -> Subject:
        """The subject of a UI session token (sliding expiry); AuthenticationFailed when
        unknown or expired."""
        raise NotImplementedError

    def close_session(self, token: str) -> None:
        raise NotImplementedError

    def subject_of(self, username: str) -> Subject:
        """A user's subject with their current roles (scheduled jobs act as their owner)."""
        raise NotImplementedError
