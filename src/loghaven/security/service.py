"""The security service: users, roles, role mappings, action groups, API keys, access keys,
HEC tokens and UI sessions in the metastore, and authentication against them.

The HTTP edge (api/auth.py) authenticates through it, the CLI bootstraps it, and the
security REST API (api/security.py) changes it.

The configuration is read from the metastore into an immutable snapshot after every change,
so a change through the REST API holds from the next request on; subjects are built from the
snapshot and kept until the next change.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from loghaven.config import Config
from loghaven.errors import AuthenticationRequired, IllegalArgument
from loghaven.security import access_keys, api_keys, api_tokens, entities, hec_tokens, sigv4
from loghaven.security.access import no_permissions
from loghaven.security.audit import API_TOKEN_WRITE, SECURITY_CONFIG_CHANGED, AuditLog
from loghaven.security.builtin import STATIC_ACTION_GROUPS, STATIC_ROLES
from loghaven.security.passwords import (
    VerifiedCache,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from loghaven.security.privileges import RolePrivileges
from loghaven.security.sealing import NodeKey
from loghaven.security.session_cache import SessionCache
from loghaven.security.store import ACTION_GROUPS, ROLES, ROLES_MAPPING, USERS, SecurityStore
from loghaven.security.subject import INTERNAL, Subject
from loghaven.security.throttle import LoginThrottle
from loghaven.storage.metastore import Metastore

#: The user the first secure start creates, and the role it gets.
ADMIN_USER = "admin"
ADMIN_ROLE = "all_access"


class AuthenticationFailed(AuthenticationRequired):
    """Wrong credentials, an expired or invalidated key, or a throttled user/address (401)."""


@dataclass(frozen=True)
class Origin:
    """Who makes a configuration change and from where: what the audit log records."""

    user: str | None
    address: str
    method: str = ""
    path: str = ""


@dataclass(frozen=True)
class Snapshot:
    """The security configuration at one moment, every type by entity name."""

    users: Mapping[str, dict[str, Any]]
    roles: Mapping[str, dict[str, Any]]
    mappings: Mapping[str, dict[str, Any]]
    action_groups: Mapping[str, dict[str, Any]]

    def of(self, ctype: str) -> Mapping[str, dict[str, Any]]:
        return {USERS: self.users, ROLES: self.roles, ROLES_MAPPING: self.mappings,
                ACTION_GROUPS: self.action_groups}[ctype]


class SecurityService:
    def __init__(self, metastore: Metastore, config: Config) -> None:
        self.metastore = metastore
        self.config = config
        #: Whether requests must authenticate (``security.enabled``).
        self.enabled = config.security_enabled
        #: Where configuration changes are recorded (set by the node when auditing is on).
        self.audit: AuditLog | None = None
        self.store = SecurityStore(metastore, {ROLES: STATIC_ROLES,
                                               ACTION_GROUPS: STATIC_ACTION_GROUPS})
        self.throttle = LoginThrottle(config.login_allowed_tries, config.login_time_window,
                                      config.login_block_expiry)
        self.verified = VerifiedCache()
        #: Seals the access keys' secrets (security/sealing.py).
        self.node_key = NodeKey(config.data_dir)
        #: Wall-clock seconds (persisted times: API key expiry, sessions); tests replace it.
        self.clock: Callable[[], float] = time.time
        self._lock = threading.Lock()
        #: Serializes configuration changes: each is computed against the latest snapshot.
        self._write_lock = threading.Lock()
        self._subjects: dict[str, Subject] = {}
        #: OpenSearch API keys' subjects, by key id (rebuilt, as users', after a change).
        self._token_subjects: dict[str, Subject] = {}
        #: UI sessions recently authenticated (dropped on logout and on every change).
        self.sessions = SessionCache()
        #: ``hec.tokens`` by the digest of their token (ValueError for a bad entry).
        self.config_hec_tokens = hec_tokens.from_config(config.hec_tokens,
                                                        security=config.security_enabled)
        self._snapshot = self._load()

    # The configuration snapshot -----------------------------------------------------------

    def _load(self) -> Snapshot:
        return Snapshot(*(self.store.entries(ctype)
                          for ctype in (USERS, ROLES, ROLES_MAPPING, ACTION_GROUPS)))

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def reload(self) -> None:
        """Read the configuration again (after a change); subjects are rebuilt on next use."""
        with self._lock:
            self._snapshot = self._load()
            self._subjects = {}
            self._token_subjects = {}
        self.sessions.clear()

    def apply(self, changes: list[entities.Change], origin: Origin | None) -> None:
        """Persist configuration changes in one transaction, reload, and audit them."""
        if not changes:
            return
        self.store.apply(changes)
        self.reload()
        self._audit(origin, sorted({f"{c}/{n}" for c, n, _ in changes}))

    def _audit(self, origin: Origin | None, what: list[str],
               category: str = SECURITY_CONFIG_CHANGED) -> None:
        """The audit log's record of a security configuration change (never its content)."""
        if self.audit is not None and origin is not None:
            self.audit.record(category, user=origin.user,
                              address=origin.address, method=origin.method, path=origin.path,
                              reason=", ".join(what))

    # The REST API's configuration changes (OpenSearch's rules: security/entities.py) ------

    def get_entities(self, ctype: str, name: str | None) -> dict[str, Any]:
        return entities.get(self._snapshot, ctype, name)

    def put_entity(self, ctype: str, name: str, body: Any, origin: Origin) -> bool:
        """Create or replace one entity; whether it was created."""
        with self._write_lock:
            changes, created = entities.put(self._snapshot, ctype, name, body)
            self.apply(changes, origin)
        return created

    def delete_entity(self, ctype: str, name: str, origin: Origin) -> None:
        with self._write_lock:
            self.apply(entities.delete(self._snapshot, ctype, name), origin)

    def patch_entities(self, ctype: str, name: str | None, operations: Any,
                       origin: Origin) -> bool:
        """Apply a JSON Patch to one entity or the whole type; whether anything changed."""
        with self._write_lock:
            changes = entities.patch(self._snapshot, ctype, name, operations)
            self.apply(changes, origin)
        return bool(changes)

    def change_own_password(self, subject: Subject, body: Any, origin: Origin) -> None:
        """The account API: a user changes their password, proving the current one."""
        if subject.auth_type in ("api_key", "api_token") or subject.api_key_id:
            raise entities.refused(403, "Token-authenticated users cannot change passwords")
        with self._write_lock:
            changes = entities.account_change(self._snapshot, subject.name, body,
                                              self.check_password)
            self.apply(changes, origin)

    # Bootstrap ------------------------------------------------------------------------------

    def bootstrap(self) -> str | None:
        """On the first start with security enabled, create the ``admin`` user (role
        ``all_access``) with a generated password and return it (to be printed once); None
        when users exist already."""
        if self.store.bootstrapped() or self._snapshot.users:
            return None
        password = generate_password()
        user = entities.normalize_user({"hash": hash_password(password),
                                        "description": "Created on the first secure start"})
        mapping = dict(self._snapshot.mappings.get(ADMIN_ROLE)
                       or entities.normalize_mapping({}))
        mapping["users"] = sorted({*mapping.get("users", []), ADMIN_USER})
        self.store.bootstrap([(USERS, ADMIN_USER, user), (ROLES_MAPPING, ADMIN_ROLE, mapping)],
                             int(self.clock() * 1000))
        self.reload()
        return password

    # Authentication -------------------------------------------------------------------------

    def authenticate_basic(self, username: str, password: str, address: str) -> Subject:
        """The subject of an internal user's name and password; AuthenticationFailed on a
        wrong pair or while the user or address is throttled."""
        if self.throttle.blocked(username, address):
            raise _failed(username)
        user = self._snapshot.users.get(username)
        stored = user.get("hash", "") if user else ""
        if not (user and stored and (self.verified.verified(username, password, stored)
                                     or self._verify_slow(username, password, stored))):
            self.throttle.failed(username, address)
            raise _failed(username)
        return self.subject_of(username)

    def _verify_slow(self, username: str, password: str, stored: str) -> bool:
        if not verify_password(stored, password):
            return False
        if needs_rehash(stored):
            user = {**self._snapshot.users[username], "hash": hash_password(password)}
            self.apply([(USERS, username, user)], None)
            stored = user["hash"]
        self.verified.remember(username, password, stored)
        return True

    def check_password(self, username: str, password: str) -> bool:
        """Whether ``password`` is the user's (the account API's ``current_password``)."""
        user = self._snapshot.users.get(username)
        return bool(user and user.get("hash") and verify_password(user["hash"], password))

    def authenticate_api_key(self, encoded: str, address: str) -> Subject:
        """The subject of ``Authorization: ApiKey``: an OpenSearch key's ``os_`` token, or
        an Elasticsearch key's ``base64(id:api_key)``."""
        if self.throttle.blocked(None, address):
            raise _failed(None)
        if encoded.startswith(api_tokens.PREFIX):
            return self._authenticate_api_token(encoded, address)
        parsed = api_keys.decode(encoded)
        record = self.store.api_key(parsed[0]) if parsed else None
        if record is None or parsed is None or not api_keys.verify(record, parsed[1]):
            self.throttle.failed(None, address)
            raise AuthenticationFailed("unable to authenticate with provided credentials")
        if record.get("invalidated"):
            raise AuthenticationFailed("api key has been invalidated")
        if api_keys.expired(record, self.clock()):
            raise AuthenticationFailed("api key is expired")
        return self._api_key_subject(record)

    def _api_key_subject(self, record: Mapping[str, Any]) -> Subject:
        owner = self.subject_of(record["username"])
        restricted = api_keys.restrict(owner.privileges, record, self._snapshot.action_groups)
        return replace(owner, privileges=restricted, auth_type="api_key",
                       api_key_id=record["id"])

    def _authenticate_api_token(self, token: str, address: str) -> Subject:
        """An OpenSearch key's subject: ``token:<name>`` with the key's own permissions. The
        record is read on every request, so a revocation holds from the next one."""
        record = self.store.api_token(_digest(token))
        if record is None:
            self.throttle.failed(None, address)
            raise AuthenticationFailed("unable to authenticate with provided credentials")
        if record.get("revoked_at") is not None or api_tokens.expired(record, self.clock()):
            raise AuthenticationFailed("api key is revoked or expired")
        subject = self._token_subjects.get(record["id"])
        if subject is None:
            snapshot = self._snapshot
            subject = Subject(name=api_tokens.USER_PREFIX + record["name"],
                              privileges=api_tokens.privileges(record, snapshot.action_groups),
                              auth_type="api_token", credential=record["id"])
            with self._lock:
                if self._snapshot is snapshot:
                    self._token_subjects[record["id"]] = subject
        return subject

    # OpenSearch's API keys (_plugins/_security/api/apitokens) ---------------------------

    def create_api_token(self, caller: Subject, body: Any, origin: Origin) -> dict[str, Any]:
        """A new key with its own permissions: its id and its token, shown only here."""
        with self._write_lock:
            names = [r["name"] for r in self.store.api_tokens().values()]
            limits = api_tokens.Limits(self.config.api_tokens_max_tokens,
                                       self.config.api_tokens_max_duration_seconds)
            record, token = api_tokens.new_record(body, names, caller.name,
                                                  int(self.clock() * 1000), limits)
            self.store.put_api_token(_digest(token), record)
        self._audit(origin, [f"api_token/{record['name']}"], API_TOKEN_WRITE)
        return {"id": record["id"], "token": token}

    def list_api_tokens(self) -> list[dict[str, Any]]:
        """Every key, active, expired or revoked, by creation."""
        records = sorted(self.store.api_tokens().values(), key=lambda r: (r["iat"], r["id"]))
        return [api_tokens.render(r) for r in records]

    def revoke_api_token(self, key_id: str, origin: Origin) -> None:
        """Revoke a key at once (its record stays, with ``revoked_at``)."""
        with self._write_lock:
            found = [(d, r) for d, r in self.store.api_tokens().items() if r["id"] == key_id]
            if not found:
                raise api_tokens.refused(404, f"No token found with id {key_id}")
            digest, record = found[0]
            if record.get("revoked_at") is None:
                self.store.put_api_token(digest, {**record,
                                                  "revoked_at": int(self.clock() * 1000)})
        self._audit(origin, [f"api_token/{key_id}"], API_TOKEN_WRITE)

    # API keys (Elasticsearch's _security/api_key) ---------------------------------------

    def create_api_key(self, owner: Subject, body: Mapping[str, Any],
                       origin: Origin) -> dict[str, Any]:
        """A new key of ``owner`` (a key's own owner when an API key creates it). An
        OpenSearch key (``token:<name>``) is no user: it owns no keys."""
        if owner.auth_type == "api_token":
            raise entities.refused(403, "Token-authenticated users cannot create credentials")
        name = api_keys.validate_name(body.get("name"))
        descriptors = body.get("role_descriptors")
        if owner.api_key_id and (not isinstance(descriptors, Mapping) or not descriptors
                                 or any(d for d in descriptors.values())):
            raise IllegalArgument("creating derived api keys requires an explicit role "
                                  "descriptor that is empty (has no privileges)")
        record, secret = api_keys.new_record(name, owner.name, body, int(self.clock() * 1000))
        self.store.put_api_keys([record])
        self._audit(origin, [f"api_key/{record['id']}"])
        out = {"id": record["id"], "name": name}
        if record["expiration"] is not None:
            out["expiration"] = record["expiration"]
        out.update(api_key=secret, encoded=api_keys.encoded(record["id"], secret))
        return out

    def get_api_keys(self, caller: Subject, query: api_keys.Query) -> dict[str, Any]:
        """The keys matching ``query`` that the caller may see: all with the permission to
        manage API keys, else only the caller's own."""
        found = self._api_keys_for(caller, query, api_keys.GET_ACTION)
        now = self.clock()
        return {"api_keys": [api_keys.render(r, now) for r in found]}

    def invalidate_api_keys(self, caller: Subject, query: api_keys.Query,
                            origin: Origin) -> dict[str, Any]:
        found = self._api_keys_for(caller, query, api_keys.INVALIDATE_ACTION)
        now_ms = int(self.clock() * 1000)
        fresh = [r for r in found if not r.get("invalidated")]
        self.store.put_api_keys([{**r, "invalidated": True, "invalidation": now_ms}
                                 for r in fresh])
        if fresh:
            self.sessions.clear()  # a session opened with one of them ends now
        if fresh:
            self._audit(origin, [f"api_key/{r['id']}" for r in fresh])
        return {"invalidated_api_keys": [r["id"] for r in fresh],
                "previously_invalidated_api_keys": [r["id"] for r in found
                                                    if r.get("invalidated")],
                "error_count": 0}

    def authenticate_info(self, subject: Subject) -> dict[str, Any]:
        """ES's ``_authenticate`` answer for the caller."""
        record = self.store.api_key(subject.api_key_id) if subject.api_key_id else None
        return api_keys.authenticate_body(subject, record["name"] if record else None)

    def _api_keys_for(self, caller: Subject, query: api_keys.Query,
                      action: str) -> list[dict[str, Any]]:
        owner = self._owner_of(caller)
        if not query.owner and not caller.privileges.allows_cluster(action):
            query = replace(query, owner=True)
        if query.owner:
            query = replace(query, username=owner)
        return api_keys.select(self.store.api_keys().values(), query)

    def _owner_of(self, subject: Subject) -> str:
        if subject.api_key_id:
            record = self.store.api_key(subject.api_key_id)
            if record is not None:
                return record["username"]
        return subject.name

    # Access keys (SigV4) and HEC tokens: owned by users ----------------------------------

    def create_access_key(self, caller: Subject, body: Mapping[str, Any],
                          origin: Origin) -> dict[str, Any]:
        """A new access key of the caller (or of ``body["user"]``, with the permission to
        manage others' keys): the only answer that shows its secret."""
        owner = self._new_credential_owner(caller, body, access_keys.MANAGE_ACTION)
        key_id, secret = access_keys.new_id(), access_keys.new_secret()
        record = {"id": key_id, "user": owner, "description": access_keys.description(body),
                  "created": self._iso_now(), "sealed": self.node_key.seal(secret, key_id)}
        self.store.put_access_key(key_id, record)
        self._audit(origin, [f"accesskeys/{key_id}"])
        return {**access_keys.render(record), "secret_access_key": secret}

    def get_access_keys(self, caller: Subject, key_id: str | None,
                        user: str | None) -> list[dict[str, Any]]:
        """The keys the caller may see (their own; everyone's with the permission), all or
        ``key_id`` (404 when not visible), of ``user`` if given."""
        records = [r for r in self.store.access_keys().values()
                   if self._manages(caller, r["user"], access_keys.MANAGE_ACTION)
                   and (key_id is None or r["id"] == key_id)
                   and (user is None or r["user"] == user)]
        if key_id is not None and not records:
            raise entities.refused(404, f"Access key '{key_id}' not found.")
        return [access_keys.render(r) for r in sorted(records, key=lambda r: r["created"])]

    def delete_access_key(self, caller: Subject, key_id: str, origin: Origin) -> None:
        self.get_access_keys(caller, key_id, None)
        self.store.put_access_key(key_id, None)
        self._audit(origin, [f"accesskeys/{key_id}"])

    def authenticate_sigv4(self, request: sigv4.SignedRequest, address: str) -> Subject:
        """The subject of a request signed with an access key; AuthenticationFailed with
        AWS's reason when the key is unknown or the signature, date or body do not check."""
        if self.throttle.blocked(None, address):
            raise _failed(None)
        key_id = request.authorization.access_key_id
        record = self.store.access_key(key_id)
        try:
            if record is None:
                raise sigv4.SignatureError("The security token included in the request is "
                                           "invalid.")
            sigv4.verify(request, self.node_key.unseal(record["sealed"], key_id),
                         self.clock())
        except sigv4.SignatureError as exc:
            self.throttle.failed(None, address)
            raise AuthenticationFailed(str(exc)) from None
        return replace(self.subject_of(record["user"]), auth_type="sigv4", credential=key_id)

    def put_hec_token(self, caller: Subject | None, name: str, body: Mapping[str, Any],
                      origin: Origin | None, *, exists: bool | None = None) -> str | None:
        """Create a token (its value, shown only now) or change an existing one's fields
        (None). ``exists``: True to change only (404 when missing), False to create only
        (409 when the name is taken, Splunk's ``POST data/inputs/http``). ``caller`` is None
        with security off: anyone manages every token, and new ones have no owner."""
        hec_tokens.validate_name(name)
        self._not_configured(name)
        with self._write_lock:
            found = self._hec_token_named(caller, name, missing_ok=exists is not True)
            if found is None:
                owner = None if caller is None else self._new_credential_owner(
                    caller, body, hec_tokens.MANAGE_ACTION)
                token = hec_tokens.new_token()
                digest, record = hec_tokens.digest(token), {
                    "name": name, "user": owner, **hec_tokens.settings(body, None),
                    "created": self._iso_now()}
            elif exists is False:
                raise entities.refused(409, f"HEC token '{name}' already exists.")
            else:
                token, (digest, record) = None, found
                if body.get("user", record["user"]) != record["user"]:
                    raise entities.refused(400, "The owner of a token cannot be changed.")
                record = {**record, **hec_tokens.settings(body, record)}
            self.store.put_hec_token(digest, record)
        self._audit(origin, [f"hectokens/{name}"])
        return token

    def get_hec_tokens(self, caller: Subject | None, name: str | None) -> dict[str, Any]:
        """The tokens the caller may see by name (their own; everyone's with the
        permission or with security off), the configuration file's included, or the one
        named (404 when not visible)."""
        if name is not None:
            for record in self.config_hec_tokens.values():
                if record["name"] == name:
                    return {name: hec_tokens.render(record)}
            _, record = self._hec_token_named(caller, name)  # type: ignore[misc]
            return {name: hec_tokens.render(record)}
        records = [*self.store.hec_tokens().values(), *self.config_hec_tokens.values()]
        return {r["name"]: hec_tokens.render(r)
                for r in sorted(records, key=lambda r: r["name"])
                if self._manages(caller, r["user"], hec_tokens.MANAGE_ACTION)}

    def delete_hec_token(self, caller: Subject | None, name: str,
                         origin: Origin | None) -> None:
        self._not_configured(name)
        with self._write_lock:
            digest, _ = self._hec_token_named(caller, name)  # type: ignore[misc]
            self.store.put_hec_token(digest, None)
        self._audit(origin, [f"hectokens/{name}"])

    def hec_token(self, subject: Subject) -> dict[str, Any] | None:
        """The settings of the HEC token a subject authenticated with (default index, allowed
        indexes, source, sourcetype, host, useACK: what the HEC endpoint applies)."""
        if subject.auth_type != "hec" or subject.credential is None:
            return None
        found = [r for r in (*self.store.hec_tokens().values(),
                             *self.config_hec_tokens.values())
                 if r["name"] == subject.credential]
        return hec_tokens.render(found[0]) if found else None

    def find_hec_token(self, token: str) -> dict[str, Any] | None:
        """The settings of a token by its value (the metastore's or the configuration
        file's), for the HEC endpoint with security off, where no guard authenticates."""
        digest = hec_tokens.digest(token)
        record = self.store.hec_token(digest) or self.config_hec_tokens.get(digest)
        return hec_tokens.render(record) if record is not None else None

    def authenticate_hec(self, token: str, address: str) -> Subject:
        """The subject of ``Authorization: Splunk <token>``: the owner's, limited to the
        token's allowed indexes; AuthenticationFailed (Splunk's reasons) when the token is
        unknown or disabled."""
        if self.throttle.blocked(None, address):
            raise _failed(None)
        digest = hec_tokens.digest(token)
        record = self.store.hec_token(digest) or self.config_hec_tokens.get(digest)
        if record is None:
            self.throttle.failed(None, address)
            raise AuthenticationFailed("Invalid token")
        if record.get("disabled"):
            raise AuthenticationFailed("Token disabled")
        owner = self.subject_of(record["user"])
        return replace(owner, privileges=hec_tokens.restrict(owner.privileges, record),
                       auth_type="hec", credential=record["name"])

    def _not_configured(self, name: str) -> None:
        if any(r["name"] == name for r in self.config_hec_tokens.values()):
            raise entities.refused(400, f"HEC token '{name}' is defined in the configuration "
                                        f"file (hec.tokens) and cannot be changed here.")

    def _hec_token_named(self, caller: Subject | None, name: str, *,
                         missing_ok: bool = False) -> tuple[str, dict[str, Any]] | None:
        for digest, record in self.store.hec_tokens().items():
            if record["name"] == name:
                if not self._manages(caller, record["user"], hec_tokens.MANAGE_ACTION):
                    assert caller is not None
                    raise no_permissions(hec_tokens.MANAGE_ACTION, caller)
                return digest, record
        if missing_ok:
            return None
        raise entities.refused(404, f"HEC token '{name}' not found.")

    def _new_credential_owner(self, caller: Subject, body: Mapping[str, Any],
                              action: str) -> str:
        """Whom a new credential belongs to: the caller, or ``body["user"]`` when the caller
        may manage others'. A credential cannot mint credentials (as ES's derived API keys):
        only a user who signed in with their password creates them."""
        if caller.auth_type not in ("basic", "session") or caller.api_key_id:
            raise entities.refused(403, "Token-authenticated users cannot create "
                                        "credentials")
        owner = body.get("user") or caller.name
        if not isinstance(owner, str):
            raise entities.refused(400, "'user' must be a user name.")
        if not self._manages(caller, owner, action):
            raise no_permissions(action, caller)
        if owner not in self._snapshot.users:
            raise entities.refused(404, f"User '{owner}' not found.")
        return owner

    @staticmethod
    def _manages(caller: Subject | None, owner: str | None, action: str) -> bool:
        """Whether ``caller`` manages ``owner``'s credentials (anyone's with security off,
        where the caller is None)."""
        return caller is None or owner == caller.name or caller.privileges.allows_cluster(
            action)

    def _iso_now(self) -> str:
        return datetime.datetime.fromtimestamp(self.clock(), datetime.UTC).isoformat(
            timespec="seconds").replace("+00:00", "Z")

    # UI sessions ----------------------------------------------------------------------------

    def open_session(self, subject: Subject) -> str:
        """A new UI session for ``subject``; the returned token goes in the cookie."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.store.put_session(_digest(token), {
            "user": subject.name, "api_key_id": subject.api_key_id,
            "created": int(now * 1000), "expires": int((now + self.config.session_timeout)
                                                       * 1000)})
        return token

    def cached_session(self, token: str) -> Subject | None:
        """The subject of a UI session seen in the last seconds, when answering needs no I/O
        (no expiry to slide, nothing to read): else None, and :meth:`authenticate_session`
        answers (in the thread pool)."""
        cached = self.sessions.get(_digest(token))
        if cached is None:
            return None
        now_ms = self.clock() * 1000
        if cached.record["expires"] <= now_ms or self._slide_due(cached.record, now_ms):
            return None
        return cached.subject

    def authenticate_session(self, token: str) -> Subject:
        """The subject of a UI session token (sliding expiry); AuthenticationFailed when
        unknown or expired."""
        digest = _digest(token)
        generation = self.sessions.generation
        cached = self.sessions.get(digest)
        record = cached.record if cached is not None else self.store.session(digest)
        now = self.clock()
        if record is None or record["expires"] <= now * 1000:
            if record is not None:
                self.store.delete_session(digest)
            self.sessions.drop(digest)
            raise AuthenticationFailed("the session is unknown or has expired")
        if self._slide_due(record, now * 1000):
            record = {**record, "expires": int((now + self.config.session_timeout) * 1000)}
            self.store.put_session(digest, record)
        if cached is not None and cached.record is record:
            subject = cached.subject
        elif record.get("api_key_id"):
            key = self.store.api_key(record["api_key_id"])
            if key is None or key.get("invalidated") or api_keys.expired(key, now):
                raise AuthenticationFailed("the session's api key is no longer valid")
            subject = replace(self._api_key_subject(key), auth_type="session")
        else:
            subject = replace(self.subject_of(record["user"]), auth_type="session")
        self.sessions.put(digest, record, subject, generation)
        return subject

    def _slide_due(self, record: Mapping[str, Any], now_ms: float) -> bool:
        """Whether the session's expiry is to be moved forward and stored: when it would
        move by a minute (or a tenth of the timeout), not on every request of the UI."""
        timeout = self.config.session_timeout
        return now_ms + timeout * 1000 - record["expires"] >= min(60, timeout / 10) * 1000

    def close_session(self, token: str) -> None:
        digest = _digest(token)
        self.store.delete_session(digest)
        self.sessions.drop(digest)

    # Subjects -------------------------------------------------------------------------------

    def owner_subject(self, user: Mapping[str, Any] | None) -> Subject:
        """Who work recorded with ``user`` (:func:`context.acting_user`) acts as: that user,
        or the node itself with security off or without a recorded user."""
        if not self.enabled or not user or not user.get("name"):
            return INTERNAL
        return self.subject_of(user["name"])

    def subject_of(self, username: str) -> Subject:
        """A user's subject with their current roles (scheduled jobs act as their owner)."""
        subject = self._subjects.get(username)
        if subject is not None:
            return subject
        snapshot = self._snapshot
        user = snapshot.users.get(username)
        if user is None:
            raise _failed(username)
        backend_roles = tuple(user.get("backend_roles", ()))
        attributes = dict(user.get("attributes", {}))
        roles = entities.mapped_roles(username, backend_roles, user, snapshot.mappings)
        privileges = RolePrivileges({name: snapshot.roles[name] for name in roles
                                     if name in snapshot.roles},
                                    snapshot.action_groups, username, attributes, backend_roles)
        subject = Subject(name=username, privileges=privileges, backend_roles=backend_roles,
                          roles=tuple(roles), attributes=attributes)
        with self._lock:
            if self._snapshot is snapshot:
                self._subjects[username] = subject
        return subject


def _failed(username: str | None) -> AuthenticationFailed:
    return AuthenticationFailed(
        f"unable to authenticate user [{username}] for REST request" if username
        else "unable to authenticate with provided credentials")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
