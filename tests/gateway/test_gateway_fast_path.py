"""The forwarding hot path's shortcuts keep their promises: a remembered key is still refused with a
wrong secret, its revocation is seen once the record's cache entry expires (never later), and the
one-pass metadata split reads keys and forwards headers exactly as the general functions do."""

from __future__ import annotations

import asyncio

import pytest

from gateway import keys as key_domain
from gateway.auth import Authenticator, credential_from
from gateway.backends import forwardable_metadata, split_metadata
from gateway.key_store import KeyStore
from plugboard.errors import Unauthenticated


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    opened = KeyStore.open(f"sqlite:///{tmp_path / 'keys.db'}")
    yield opened
    opened.close()


def test_a_remembered_key_does_not_vouch_for_a_wrong_secret_of_the_same_id(store):
    authenticator = Authenticator(store, cache_seconds=10, clock=Clock())
    key = store.create("acme", ["view_connectors"]).key
    assert asyncio.run(authenticator.authenticate(key)).project == "acme"
    assert asyncio.run(authenticator.authenticate(key)).project == "acme"  # remembered
    key_id, secret = key_domain.parse(key)
    flipped = "1" if secret[-1] == "0" else "0"  # one hex digit off (a fixed "0" was the secret 1 time in 16)
    for wrong in (f"pbk_{key_id}_{'0' * 64}", f"pbk_{key_id}_{secret[:-1]}{flipped}", key.upper()):
        with pytest.raises(Unauthenticated) as info:
            asyncio.run(authenticator.authenticate(wrong))
        assert info.value.reason == "API_KEY_INVALID"


def test_revocation_is_seen_when_the_record_expires_not_later(store):
    clock = Clock()
    authenticator = Authenticator(store, cache_seconds=10, clock=clock)
    key = store.create("acme", ["view_connectors"]).key
    key_id, _ = key_domain.parse(key)
    with pytest.raises(Unauthenticated):  # a wrong secret: the record is cached until 1010
        asyncio.run(authenticator.authenticate(f"pbk_{key_id}_{'0' * 64}"))
    clock.now = 1009.0
    assert asyncio.run(authenticator.authenticate(key)).project == "acme"  # verified on the cached record
    store.revoke(key_id)
    assert asyncio.run(authenticator.authenticate(key)).project == "acme"  # within the documented TTL
    clock.now = 1010.5  # the record's entry expired: the principal remembered at 1009 goes with it
    with pytest.raises(Unauthenticated):
        asyncio.run(authenticator.authenticate(key))


def test_no_cache_means_every_call_is_checked(store):
    authenticator = Authenticator(store, cache_seconds=0, clock=Clock())
    key = store.create("acme", ["view_connectors"]).key
    asyncio.run(authenticator.authenticate(key))
    store.revoke(key_domain.parse(key)[0])
    with pytest.raises(Unauthenticated):
        asyncio.run(authenticator.authenticate(key))


@pytest.mark.parametrize("metadata", [
    None,
    (),
    (("authorization", "Bearer pbk_k"), ("x-request-id", "r1"), ("user-agent", "grpc-python")),
    (("x-api-key", " pbk_a "), ("authorization", "Basic abc"), ("Traceparent", "00-1")),
    (("x-api-key", "pbk_a"), ("x-api-key", "pbk_b"), ("authorization", "bearer  pbk_c ")),
    (("authorization", "Bearer "), ("x-api-key", ""), (":authority", "gw"), ("grpc-timeout", "1S")),
    (("cookie", "s=1"), ("x-data-bin", b"\x00\x01"), ("te", "trailers"), ("content-type", "application/grpc")),
])
def test_split_metadata_is_forwardable_metadata_plus_credential_from(metadata):
    assert split_metadata(metadata) == (forwardable_metadata(metadata), credential_from(metadata))
