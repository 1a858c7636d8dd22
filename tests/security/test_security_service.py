"""The security service's contract: bootstrap, Basic authentication with throttling, subjects
from role mappings, UI sessions and API keys, against a real metastore."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from loghaven.config import Config
from loghaven.errors import ActionRequestValidation, IllegalArgument
from loghaven.security import api_keys, entities
from loghaven.security.service import AuthenticationFailed, Origin, SecurityService
from loghaven.security.store import ROLES, ROLES_MAPPING, USERS
from loghaven.storage.metastore import SqliteMetastore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def metastore(tmp_path: Path) -> SqliteMetastore:
    return SqliteMetastore(tmp_path / "metastore.db")


def make_service(metastore: SqliteMetastore, **settings: object) -> SecurityService:
    config = Config()
    config.security_enabled = True
    for key, value in settings.items():
        setattr(config, key, value)
    return SecurityService(metastore, config)


@pytest.fixture
def service(metastore: SqliteMetastore) -> SecurityService:
    return make_service(metastore)


def add_user(service: SecurityService, name: str, password: str, **body: object) -> None:
    changes, _ = entities.put(service.snapshot(), USERS, name, {"password": password, **body})
    service.apply(changes, None)


def test_bootstrap_creates_admin_once_with_a_hash_only(service, metastore):
    password = service.bootstrap()
    assert password and len(password) >= 16
    assert service.bootstrap() is None
    stored = metastore.get("security_user", "admin")
    assert stored["hash"].startswith("$argon2id$") and password not in str(stored)
    subject = service.authenticate_basic("admin", password, "127.0.0.1")
    assert "all_access" in subject.roles
    assert subject.privileges.allows_cluster("cluster:admin/settings/update")
    assert subject.privileges.allows_index("indices:data/write/index", "any-index")
    # A restart reads the same configuration and does not bootstrap again.
    again = SecurityService(metastore, service.config)
    assert again.bootstrap() is None
    assert again.authenticate_basic("admin", password, "127.0.0.1").name == "admin"


def test_bootstrap_skipped_when_users_exist(service):
    add_user(service, "alice", "Alice-Password-1")
    assert service.bootstrap() is None
    assert set(service.snapshot().users) == {"alice"}


def test_wrong_password_and_unknown_user_fail(service):
    add_user(service, "alice", "Alice-Password-1")
    with pytest.raises(AuthenticationFailed) as wrong:
        service.authenticate_basic("alice", "nope", "10.0.0.1")
    assert wrong.value.status == 401
    with pytest.raises(AuthenticationFailed):
        service.authenticate_basic("nobody", "Alice-Password-1", "10.0.0.1")


def test_password_change_takes_effect_despite_the_verified_cache(service):
    add_user(service, "alice", "Alice-Password-1")
    service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.1")
    add_user(service, "alice", "Alice-Password-2")
    with pytest.raises(AuthenticationFailed):
        service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.1")
    assert service.authenticate_basic("alice", "Alice-Password-2", "10.0.0.1").name == "alice"
    service.apply(entities.delete(service.snapshot(), USERS, "alice"), None)
    with pytest.raises(AuthenticationFailed):
        service.authenticate_basic("alice", "Alice-Password-2", "10.0.0.1")


def throttled(metastore: SqliteMetastore, tries: int, window: int,
              expiry: int) -> tuple[SecurityService, Clock]:
    """A service with these throttle settings and a clock the test moves, and user alice."""
    service = make_service(metastore, login_allowed_tries=tries, login_time_window=window,
                           login_block_expiry=expiry)
    clock = Clock()
    service.throttle.by_user.clock = service.throttle.by_address.clock = clock
    add_user(service, "alice", "Alice-Password-1")
    return service, clock


def test_throttling_blocks_user_then_expires(metastore):
    service, clock = throttled(metastore, 3, 60, 30)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # three addresses: the user blocks
        with pytest.raises(AuthenticationFailed):
            service.authenticate_basic("alice", "wrong", address)
    with pytest.raises(AuthenticationFailed):  # even the right password fails while blocked
        service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.9")
    clock.now += 31
    assert service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.9").name == "alice"


def test_throttling_blocks_address_for_every_user(metastore):
    service, _ = throttled(metastore, 2, 60, 30)
    for user in ("x", "y"):
        with pytest.raises(AuthenticationFailed):
            service.authenticate_basic(user, "wrong", "10.0.0.5")
    with pytest.raises(AuthenticationFailed):
        service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.5")
    assert service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.6").name == "alice"


def test_failures_outside_the_window_do_not_block(metastore):
    service, clock = throttled(metastore, 2, 10, 30)
    with pytest.raises(AuthenticationFailed):
        service.authenticate_basic("alice", "wrong", "10.0.0.1")
    clock.now += 11
    with pytest.raises(AuthenticationFailed):
        service.authenticate_basic("alice", "wrong", "10.0.0.1")
    assert service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.1").name == "alice"


def test_subject_roles_from_user_and_mappings(service):
    role = {"cluster_permissions": ["cluster_monitor"],
            "index_permissions": [{"index_patterns": ["logs-*"], "allowed_actions": ["read"]}]}
    changes, _ = entities.put(service.snapshot(), ROLES, "log_reader", role)
    service.apply(changes, None)
    for name, mapping in {"log_reader": {"backend_roles": ["team-*"]},
                          "readall": {"users": ["carol"]}}.items():
        changes, _ = entities.put(service.snapshot(), ROLES_MAPPING, name, mapping)
        service.apply(changes, None)
    add_user(service, "alice", "Alice-Password-1", backend_roles=["team-web"],
             attributes={"dept": "web"})
    add_user(service, "carol", "Carol-Password-1", opendistro_security_roles=["kibana_user"])
    alice = service.subject_of("alice")
    assert alice.roles == ("log_reader",) and alice.backend_roles == ("team-web",)
    assert alice.attributes == {"dept": "web"}
    assert alice.privileges.allows_index("indices:data/read/search", "logs-1")
    assert not alice.privileges.allows_index("indices:data/read/search", "metrics-1")
    assert not alice.privileges.allows_index("indices:data/write/index", "logs-1")
    carol = service.subject_of("carol")
    assert set(carol.roles) == {"kibana_user", "readall"}
    assert carol.privileges.allows_index("indices:data/read/search", "metrics-1")
    # A mapping change holds from the next call on.
    service.apply(entities.delete(service.snapshot(), ROLES_MAPPING, "log_reader"), None)
    assert service.subject_of("alice").roles == ()
    with pytest.raises(AuthenticationFailed):
        service.subject_of("nobody")


def test_sessions_slide_and_expire(metastore):
    service = make_service(metastore, session_timeout=600)
    clock = Clock()
    service.clock = clock
    add_user(service, "alice", "Alice-Password-1")
    token = service.open_session(service.subject_of("alice"))
    assert token not in str(metastore.list("security_session"))
    clock.now += 500
    assert service.authenticate_session(token).name == "alice"
    clock.now += 500  # 1000 s after opening, 500 s after last use: still open
    assert service.authenticate_session(token).auth_type == "session"
    clock.now += 601
    with pytest.raises(AuthenticationFailed):
        service.authenticate_session(token)
    token = service.open_session(service.subject_of("alice"))
    service.close_session(token)
    with pytest.raises(AuthenticationFailed):
        service.authenticate_session(token)
    with pytest.raises(AuthenticationFailed):
        service.authenticate_session("made-up")


def origin() -> Origin:
    return Origin("admin", "127.0.0.1", "POST", "/_security/api_key")


def test_api_key_authenticates_restricted_and_expires(service, metastore):
    password = service.bootstrap()
    admin = service.authenticate_basic("admin", password, "127.0.0.1")
    clock = Clock()
    service.clock = clock
    key = service.create_api_key(admin, {
        "name": "reader", "expiration": "1h",
        "role_descriptors": {"r": {"indices": [{"names": ["logs-*"],
                                                "privileges": ["read"]}]}}}, origin())
    assert key["expiration"] == int(clock.now * 1000) + 3_600_000
    stored = metastore.get("security_api_key", key["id"])
    assert key["api_key"] not in str(stored)
    encoded = base64.b64encode(f"{key['id']}:{key['api_key']}".encode()).decode()
    assert encoded == key["encoded"]
    subject = service.authenticate_api_key(encoded, "127.0.0.1")
    assert subject.name == "admin" and subject.api_key_id == key["id"]
    assert subject.auth_type == "api_key"
    assert subject.privileges.allows_index("indices:data/read/search", "logs-1")
    assert not subject.privileges.allows_index("indices:data/read/search", "other")
    assert not subject.privileges.allows_index("indices:data/write/index", "logs-1")
    assert not subject.privileges.allows_cluster("cluster:admin/settings/update")
    wrong = base64.b64encode(f"{key['id']}:nope".encode()).decode()
    for bad in (wrong, "not base64!", base64.b64encode(b"no-colon").decode()):
        with pytest.raises(AuthenticationFailed):
            service.authenticate_api_key(bad, "127.0.0.1")
    clock.now += 3601
    with pytest.raises(AuthenticationFailed):
        service.authenticate_api_key(encoded, "127.0.0.1")
    listed = service.get_api_keys(admin, api_keys.get_query({"id": key["id"]}))["api_keys"]
    assert listed[0]["invalidated"] is True and "hash" not in listed[0]


def test_api_key_invalidation_and_ownership(service):
    password = service.bootstrap()
    admin = service.authenticate_basic("admin", password, "127.0.0.1")
    add_user(service, "alice", "Alice-Password-1")
    alice = service.subject_of("alice")
    mine = service.create_api_key(alice, {"name": "mine"}, origin())
    theirs = service.create_api_key(admin, {"name": "theirs"}, origin())
    by_key = service.authenticate_api_key(mine["encoded"], "127.0.0.1")
    assert set(by_key.roles) == set(alice.roles)  # an unrestricted key acts as its owner
    seen = service.get_api_keys(alice, api_keys.get_query({}))["api_keys"]
    assert [k["id"] for k in seen] == [mine["id"]]
    everything = service.get_api_keys(admin, api_keys.get_query({}))["api_keys"]
    assert {k["id"] for k in everything} == {mine["id"], theirs["id"]}
    refused = service.invalidate_api_keys(alice, api_keys.invalidate_query(
        {"ids": [theirs["id"]]}), origin())
    assert refused["invalidated_api_keys"] == []
    done = service.invalidate_api_keys(alice, api_keys.invalidate_query({"name": "mi*"}),
                                       origin())
    assert done == {"invalidated_api_keys": [mine["id"]], "previously_invalidated_api_keys": [],
                    "error_count": 0}
    with pytest.raises(AuthenticationFailed):
        service.authenticate_api_key(mine["encoded"], "127.0.0.1")
    with pytest.raises(IllegalArgument):  # a key may create only keys without privileges
        service.create_api_key(service.authenticate_api_key(theirs["encoded"], "127.0.0.1"),
                               {"name": "derived"}, origin())
    with pytest.raises(ActionRequestValidation):
        api_keys.invalidate_query({})


def test_configuration_changes_are_audited(service):
    events = []

    class Recorder:
        def record(self, category, **fields):
            events.append((category, fields))

    service.audit = Recorder()
    path = "/_plugins/_security/api/internalusers/alice"
    service.put_entity(USERS, "alice", {"password": "Alice-Password-1"},
                       Origin("admin", "10.1.1.1", "PUT", path))
    assert events == [("COMPLIANCE_INTERNAL_CONFIG_WRITE", {
        "user": "admin", "address": "10.1.1.1", "method": "PUT",
        "path": path, "reason": "internalusers/alice"})]
    assert "Alice-Password-1" not in str(events)


def test_patch_that_changes_nothing_writes_nothing(service):
    add_user(service, "alice", "Alice-Password-1", backend_roles=["a"])
    where = Origin("admin", "127.0.0.1", "PATCH", "/_plugins/_security/api/internalusers")
    same = [{"op": "replace", "path": "/backend_roles", "value": ["a"]}]
    assert not service.patch_entities(USERS, "alice", same, where)
    assert not service.patch_entities(USERS, None, [{**same[0], "path": "/alice/backend_roles"}],
                                      where)
    assert service.patch_entities(USERS, "alice", [{**same[0], "value": ["b"]}], where)
    assert service.subject_of("alice").backend_roles == ("b",)


class CountingMetastore(SqliteMetastore):
    """Counts the reads of UI sessions."""

    session_reads = 0

    def get(self, kind: str, name: str) -> dict | None:
        if kind == "security_session":
            self.session_reads += 1
        return super().get(kind, name)


def test_sessions_are_cached_and_dropped_on_every_change(tmp_path):
    metastore = CountingMetastore(tmp_path / "counting.db")
    service = make_service(metastore, session_timeout=600)
    clock = Clock()
    service.clock = clock
    add_user(service, "alice", "Alice-Password-1")
    token = service.open_session(service.subject_of("alice"))
    assert service.cached_session(token) is None  # not seen yet
    assert service.authenticate_session(token).name == "alice"
    reads = metastore.session_reads
    for _ in range(3):
        assert service.cached_session(token).auth_type == "session"
        assert service.authenticate_session(token).name == "alice"
    assert metastore.session_reads == reads  # seen: no read of the store
    # the sliding expiry: due after a minute of use, written, then trusted again
    clock.now += 500
    assert service.cached_session(token) is None
    assert service.authenticate_session(token).name == "alice"
    assert metastore.get("security_session", _digest_of(token))["expires"] == \
        (clock.now + 600) * 1000
    assert service.cached_session(token) is not None
    clock.now += 601  # idle past the timeout: cached or not, it has ended
    assert service.cached_session(token) is None
    with pytest.raises(AuthenticationFailed):
        service.authenticate_session(token)
    # a change of the user (password, roles) is seen by the very next request
    token = service.open_session(service.subject_of("alice"))
    service.authenticate_session(token)
    changes, _ = entities.put(service.snapshot(), USERS, "alice", {
        "password": "Alice-Password-2", "opendistro_security_roles": ["kibana_user"]})
    service.apply(changes, None)
    assert service.cached_session(token) is None
    assert "kibana_user" in service.authenticate_session(token).roles
    service.apply(entities.delete(service.snapshot(), USERS, "alice"), None)
    with pytest.raises(AuthenticationFailed):
        service.authenticate_session(token)
    # logout ends it at once
    add_user(service, "alice", "Alice-Password-1")
    token = service.open_session(service.subject_of("alice"))
    service.authenticate_session(token)
    service.close_session(token)
    assert service.cached_session(token) is None
    with pytest.raises(AuthenticationFailed):
        service.authenticate_session(token)


def test_a_session_of_an_invalidated_api_key_ends_at_once(service):
    password = service.bootstrap()
    admin = service.authenticate_basic("admin", password, "127.0.0.1")
    key = service.create_api_key(admin, {"name": "ui"}, origin())
    subject = service.authenticate_api_key(key["encoded"], "127.0.0.1")
    token = service.open_session(subject)
    assert service.authenticate_session(token).api_key_id == key["id"]
    service.invalidate_api_keys(admin, api_keys.Query(ids=(key["id"],)), origin())
    assert service.cached_session(token) is None
    with pytest.raises(AuthenticationFailed):
        service.authenticate_session(token)


def _digest_of(token: str) -> str:
    """The session's key in the store (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()
