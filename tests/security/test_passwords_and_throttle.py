"""Password hashing, the verified-credentials cache and the login throttle (module
contracts)."""

from __future__ import annotations

from argon2 import PasswordHasher

from loghaven.security.passwords import (
    VerifiedCache,
    generate_password,
    hash_password,
    is_hash,
    needs_rehash,
    verify_password,
)
from loghaven.security.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_hash_and_verify() -> None:
    stored = hash_password("Correct-Horse-1")
    assert is_hash(stored) and "Correct-Horse-1" not in stored
    assert verify_password(stored, "Correct-Horse-1")
    assert not verify_password(stored, "correct-horse-1")
    assert not verify_password("not-a-hash", "Correct-Horse-1")
    assert not needs_rehash(stored)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x")
    assert needs_rehash(weak) and verify_password(weak, "x")


def test_generated_passwords_differ_and_mix_classes() -> None:
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        assert len(password) == 24
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)


def test_verified_cache_follows_the_stored_hash_and_expires() -> None:
    clock = Clock()
    cache = VerifiedCache(ttl=60, size=2, clock=clock)
    cache.remember("alice", "pw", "hash-1")
    assert cache.verified("alice", "pw", "hash-1")
    assert not cache.verified("alice", "other", "hash-1")
    assert not cache.verified("alice", "pw", "hash-2")  # the password changed
    assert not cache.verified("alice", "pw", "hash-1")  # and the entry is gone
    cache.remember("alice", "pw", "hash-1")
    clock.now += 61
    assert not cache.verified("alice", "pw", "hash-1")
    for user in ("a", "b", "c"):
        cache.remember(user, "pw", "h")
    assert not cache.verified("a", "pw", "h") and cache.verified("c", "pw", "h")


def test_throttle_blocks_after_allowed_tries_within_window() -> None:
    clock = Clock()
    throttle = Throttle(3, time_window=10, block_expiry=5, clock=clock)
    throttle.failed("k")
    throttle.failed("k")
    assert not throttle.blocked("k")
    throttle.failed("k")
    assert throttle.blocked("k") and not throttle.blocked("other")
    clock.now += 5.1
    assert not throttle.blocked("k")
    throttle.failed("k")  # the failures that blocked were forgotten with the block
    assert not throttle.blocked("k")


def test_throttle_is_bounded() -> None:
    throttle = Throttle(1, time_window=10, block_expiry=60, max_tracked=2)
    for key in ("a", "b", "c"):
        throttle.failed(key)
    assert not throttle.blocked("a") and throttle.blocked("b") and throttle.blocked("c")
