"""The security service's contract: bootstrap, Basic authentication with throttling, subjects
from role mappings, UI sessions and API keys, against a real metastore."""

from __future__ import annotations

from pathlib import Path

import pytest

from loghaven.config import Config
from loghaven.security import entities
from loghaven.security.service import AuthenticationFailed, SecurityService
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


def test_throttling_blocks_user_then_expires(metastore):
    service = make_service(metastore, login_allowed_tries=3, login_time_window=60,
                           login_block_expiry=30)
    clock = Clock()
    service.throttle.by_user.clock = service.throttle.by_address.clock = clock
    add_user(service, "alice", "Alice-Password-1")
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # three addresses: the user blocks
        with pytest.raises(AuthenticationFailed):
            service.authenticate_basic("alice", "wrong", address)
    with pytest.raises(AuthenticationFailed):  # even the right password fails while blocked
        service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.9")
    clock.now += 31
    assert service.authenticate_basic("alice", "Alice-Password-1", "10.0.0.9").name == "alice"


def test_throttling_blocks_address_for_every_user(metastore):
    service = make_service(metastore, login_allowed_tries=2, login_time_window=60,
                           login_block_expiry=30)
    add_user(service, "bob", "Bob-Password-1")
    for user in ("x", "y"):
        with pytest.raises(AuthenticationFailed):
            service.authenticate_basic(user, "wrong", "10.0.0.5")
    with pytest.raises(AuthenticationFailed):
        service.authenticate_basic("bob", "Bob-Password-1", "10.0.0.5")
    assert service.authenticate_basic("bob", "Bob-Password-1", "10.0.0.6").name == "bob"


def test_failures_outside_the_window_do_not_block(metastore):
    service = make_service(metastore, login_allowed_tries=2, login_time_window=10,
                           login_block_expiry=30)
    clock = Clock()
    service.throttle.by_user.clock = service.throttle.by_address.clock = clock
    add_user(service, "alice", "Alice-Password-1")
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
