"""Every RPC of the three services (from the descriptors, so new RPCs are covered) against every scope,
no key, a bad key, and a foreign project, through the gateway over real gRPC in front of the real
backends. Only the gateway's own answers are asserted: a call it admits reaches the backend, which may
answer anything but the gateway's refusals (the requests are mostly empty)."""

from __future__ import annotations

import grpc
import pytest

from gateway import keys as key_domain
from gateway.routes import RULES
from plugboard.rpc.status import from_rpc_error
from tests.gateway.conftest import with_key

PUBLIC = sorted(path for path, rule in RULES.items() if not rule.internal)
INTERNAL = sorted(path for path, rule in RULES.items() if rule.internal)
GATEWAY_REFUSALS = {"MISSING_SCOPE", "PROJECT_MISMATCH", "API_KEY_MISSING", "API_KEY_INVALID", "INTERNAL_METHOD"}


def call(channel: grpc.Channel, path: str, request) -> tuple[grpc.StatusCode, str, dict]:  # type: ignore[no-untyped-def]
    """(code, ErrorInfo reason, ErrorInfo metadata) of one call; (OK, "", {}) when it succeeded."""
    rule = RULES[path]
    kwargs = dict(request_serializer=rule.request_class.SerializeToString,
                  response_deserializer=rule.response_class.FromString)
    try:
        if rule.method.server_streaming:
            stream = channel.unary_stream(path, **kwargs)(request, timeout=5)
            try:
                next(iter(stream), None)
            finally:
                stream.cancel()
        else:
            channel.unary_unary(path, **kwargs)(request, timeout=5)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.CANCELLED:
            return grpc.StatusCode.OK, "", {}
        error = from_rpc_error(exc)
        return exc.code(), error.reason, error.metadata
    return grpc.StatusCode.OK, "", {}


def empty(path: str):  # type: ignore[no-untyped-def]
    return RULES[path].request_class()


@pytest.fixture
def channels(gateway, keys):
    """A channel per single scope (project acme), plus no key, a bad key, a revoked key."""
    by_scope = {scope: keys.channel("acme", [scope]) for scope in key_domain.SCOPES}
    revoked = keys.create("acme")
    keys.store.revoke(revoked[4:16])
    plain = grpc.insecure_channel(gateway.target)
    extra = {
        "none": plain,
        "bad": with_key(gateway.target, "pbk_" + "0" * 12 + "_" + "1" * 64),
        "garbage": with_key(gateway.target, "not-a-key"),
        "revoked": with_key(gateway.target, revoked),
    }
    yield by_scope, extra
    for channel in extra.values():
        channel.close()


def test_every_public_method_against_every_scope(channels):
    by_scope, extra = channels
    for path in PUBLIC:
        accepted = RULES[path].accepted  # (the scope) or, for a few services, any one of several
        for scope, channel in by_scope.items():
            code, reason, metadata = call(channel, path, empty(path))
            granted = key_domain.effective_scopes([scope])
            if granted & set(accepted):
                assert reason not in GATEWAY_REFUSALS, (path, scope, code, reason)
                assert code != grpc.StatusCode.UNAUTHENTICATED, (path, scope)
            else:
                assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "MISSING_SCOPE"), (path, scope)
                assert metadata == {"scope": ",".join(accepted), "method": path}
        for name, channel in extra.items():
            code, reason, _ = call(channel, path, empty(path))
            expected = "API_KEY_MISSING" if name == "none" else "API_KEY_INVALID"
            assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, expected), (path, name)


def test_every_public_method_refuses_a_foreign_project(gateway):
    for path in PUBLIC:
        rule = RULES[path]
        if rule.identity_field is None:
            continue  # nothing in the request names a project
        request = rule.request_class(**{rule.identity_field: "globex"})
        if rule.resource_id_field:
            target = request
            *parents, last = rule.resource_id_field.split(".")
            for part in parents:
                target = getattr(target, part)
            setattr(target, last, "i-123")
        code, reason, _ = call(gateway.channel, path, request)
        if rule.owner_resource:
            # Another project's instance or installation is NOT_FOUND exactly like a missing one.
            expected = "INSTALLATION_NOT_FOUND" if "/installations/" in rule.route.template else "INSTANCE_NOT_FOUND"
            assert (code, reason) == (grpc.StatusCode.NOT_FOUND, expected), path
        else:
            assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "PROJECT_MISMATCH"), path


def test_internal_methods_are_refused_whatever_the_key(channels):
    by_scope, extra = channels
    for path in INTERNAL:
        for channel in [*by_scope.values(), *extra.values()]:
            code, reason, metadata = call(channel, path, empty(path))
            assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "INTERNAL_METHOD"), path
            assert metadata == {"method": path}


def test_the_matrix_covers_every_method_of_the_descriptors():
    from gateway.routes import SERVICES

    described = {f"/{s.full_name}/{m.name}" for s, _ in SERVICES for m in s.methods}
    assert set(PUBLIC) | set(INTERNAL) == described
    assert all(RULES[p].route is not None for p in PUBLIC)
