"""The gRPC runtime over a real grpc.aio server on port 0 and a real channel.

A tiny ``plugboard.test.Echo`` service (bytes in, bytes out, identity serializers) is registered
through a ServiceSpec and exercised for health, reflection, rich errors, access logs, the secret-free
INTERNAL path, graceful shutdown and all four cardinalities.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from bench.procs import free_port
from plugboard import errors as e
from plugboard.rpc.client import channel, remaining_timeout
from plugboard.rpc.handlers import ACCESS_LOGGER, ERROR_LOGGER
from plugboard.rpc.server import Served, ServiceSpec, build_server, serve_forever, shutdown, start
from plugboard.rpc.status import details_of, from_rpc_error

from tests.aio import run

SERVICE = "plugboard.test.Echo"
OTHER = "plugboard.test.Other"
SECRET = "secret-123"

# Errors the "Raise" method raises, by request payload.
ERRORS: dict[bytes, e.PlugboardError] = {
    b"invalid": e.InvalidArgument([("name", "is required"), ("key", "must be at most 64 long")],
                                  reason="DRAFT_INVALID"),
    b"out_of_range": e.OutOfRange.single("page_token", "is past the end"),
    b"not_found": e.NotFound("Connector", "c-1"),
    b"exists": e.AlreadyExists("Connector", "key", "k-1"),
    b"precondition": e.FailedPrecondition.single("CONNECTOR_DELETING", "connectors/c-1", "being deleted"),
    b"aborted": e.Aborted("conflict", reason="REQUEST_IN_PROGRESS", metadata={"request_id": "r1"}),
    b"stale": e.ConcurrentModification(3, 5),
    b"denied": e.PermissionDenied("not yours", reason="CONNECTOR_NOT_OWNED"),
    b"unauthenticated": e.Unauthenticated("no API key"),
    b"unavailable": e.Unavailable("database down", reason="DATABASE_UNAVAILABLE"),
    b"deadline": e.DeadlineExceeded("too slow"),
    b"exhausted": e.ResourceExhausted("quota"),
    b"unimplemented": e.Unimplemented("later", reason="NOT_IMPLEMENTED_YET"),
    b"cancelled": e.Cancelled("cancelled"),
    b"internal": e.Internal("broken invariant"),
}


def method(name: str, service: str = SERVICE) -> str:
    return f"/{service}/{name}"


@dataclass
class Echo:
    """Handlers of the test service; ``slow_started`` is set when Slow is entered."""

    slow_started: asyncio.Event = field(default_factory=asyncio.Event)

    async def unary(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return request

    async def raise_(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        if request == b"boom":
            raise RuntimeError(f"cannot connect with password {SECRET}")
        if request == b"abort":
            await context.abort(grpc.StatusCode.NOT_FOUND, "gone away")
        if request == b"set_code":
            context.set_code(grpc.StatusCode.FAILED_PRECONDITION)
            context.set_details("set by handler")
            return b""
        raise ERRORS[request]

    async def slow(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        self.slow_started.set()
        await asyncio.sleep(0.5)
        return request

    async def deadline(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return repr(remaining_timeout(context, 10.0, margin=0.1)).encode()

    async def server_stream(self, request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        for i in range(3):
            yield request + str(i).encode()
        if request == b"fail":
            raise e.NotFound("Connector", "c-9")
        if request == b"boom":
            raise KeyError(SECRET)

    async def writer_stream(self, request: bytes, context: grpc.aio.ServicerContext) -> None:
        await context.write(request)
        await context.write(request)

    async def client_stream(self, requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
        chunks = [chunk async for chunk in requests]
        if b"bad" in chunks:
            raise e.InvalidArgument.single("chunks", "must not contain bad")
        return b"".join(chunks)

    async def bidi(self, requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        async for chunk in requests:
            if chunk == b"boom":
                raise RuntimeError(SECRET)
            yield chunk.upper()

    def register(self, server: grpc.aio.Server) -> None:
        handlers = {
            "Unary": grpc.unary_unary_rpc_method_handler(self.unary),
            "Raise": grpc.unary_unary_rpc_method_handler(self.raise_),
            "Slow": grpc.unary_unary_rpc_method_handler(self.slow),
            "Deadline": grpc.unary_unary_rpc_method_handler(self.deadline),
            "ServerStream": grpc.unary_stream_rpc_method_handler(self.server_stream),
            "WriterStream": grpc.unary_stream_rpc_method_handler(self.writer_stream),
            "ClientStream": grpc.stream_unary_rpc_method_handler(self.client_stream),
            "Bidi": grpc.stream_stream_rpc_method_handler(self.bidi),
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


def _register_other(server: grpc.aio.Server) -> None:
    handlers = {"Ping": grpc.unary_unary_rpc_method_handler(Echo().unary)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(OTHER, handlers),))


def _specs(echo: Echo) -> list[ServiceSpec]:
    return [ServiceSpec(SERVICE, echo.register), ServiceSpec(OTHER, _register_other)]


def _build(echo: Echo) -> Served:
    return build_server(_specs(echo), host="127.0.0.1", port=0, max_message_bytes=1024 * 1024,
                        max_concurrent_rpcs=100)


@contextlib.asynccontextmanager
async def serving(echo: Echo | None = None) -> AsyncIterator[tuple[Served, grpc.aio.Channel, Echo]]:
    echo = echo or Echo()
    served = _build(echo)
    await start(served)
    ch = channel(f"127.0.0.1:{served.port}")
    try:
        yield served, ch, echo
    finally:
        await ch.close()
        await shutdown(served, 0)


async def _health(ch: grpc.aio.Channel, service: str) -> int:
    stub = health_pb2_grpc.HealthStub(ch)
    response = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    return response.status


def _access_records(caplog: pytest.LogCaptureFixture, rpc_method: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records
            if r.name == ACCESS_LOGGER and getattr(r, "rpc_method", None) == rpc_method]


@pytest.fixture(autouse=True)
def _capture_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


# --- health and reflection -------------------------------------------------------------------

def test_port_zero_binds_a_free_port_and_health_is_serving_per_service() -> None:
    async def scenario() -> None:
        async with serving() as (served, ch, _):
            assert served.port > 0
            for name in (SERVICE, OTHER, ""):
                assert await _health(ch, name) == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await _health(ch, "plugboard.test.Unknown")
            assert info.value.code() == grpc.StatusCode.NOT_FOUND

    run(scenario())


def test_reflection_lists_every_service() -> None:
    async def scenario() -> set[str]:
        async with serving() as (_, ch, _echo):
            stub = reflection_pb2_grpc.ServerReflectionStub(ch)
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            call = stub.ServerReflectionInfo(iter([request]), timeout=5)
            names: set[str] = set()
            async for response in call:
                names |= {s.name for s in response.list_services_response.service}
            return names

    assert run(scenario()) == {
        SERVICE, OTHER, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}


def test_binding_a_taken_port_fails_loudly() -> None:
    async def scenario() -> None:
        async with serving() as (served, _, echo):
            with pytest.raises(OSError):
                build_server(_specs(echo), host="127.0.0.1", port=served.port,
                             max_message_bytes=1024, max_concurrent_rpcs=None)

    run(scenario())


# --- errors ----------------------------------------------------------------------------------

def test_invalid_argument_carries_bad_request_and_error_info(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> grpc.aio.AioRpcError:
        async with serving() as (_, ch, _echo):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await ch.unary_unary(method("Raise"))(b"invalid", timeout=5)
            return info.value

    exc = run(scenario())
    assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = details_of(exc)
    assert status is not None and status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    err = from_rpc_error(exc)
    assert isinstance(err, e.InvalidArgument)
    assert err.reason == "DRAFT_INVALID"
    assert [(v.field, v.description) for v in err.violations] == [
        ("name", "is required"), ("key", "must be at most 64 long")]
    assert err.message == ERRORS[b"invalid"].message == exc.details()
    [record] = _access_records(caplog, method("Raise"))
    assert record.rpc_code == "INVALID_ARGUMENT"
    assert "reason=DRAFT_INVALID" in record.getMessage()


@pytest.mark.parametrize("payload", sorted(ERRORS))
def test_every_domain_error_round_trips(payload: bytes) -> None:
    async def scenario() -> grpc.aio.AioRpcError:
        async with serving() as (_, ch, _echo):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await ch.unary_unary(method("Raise"))(payload, timeout=5)
            return info.value

    sent = ERRORS[payload]
    exc = run(scenario())
    back = from_rpc_error(exc)
    assert type(back) is type(sent)
    assert (back.reason, back.message, back.metadata) == (sent.reason, sent.message, sent.metadata)
    assert getattr(back, "violations", None) == getattr(sent, "violations", None)
    for attribute in ("resource_type", "resource_name", "field", "value", "expected_version", "current_version"):
        assert getattr(back, attribute, None) == getattr(sent, attribute, None), attribute
    assert exc.code() != grpc.StatusCode.UNKNOWN


def test_concurrent_modification_carries_versions_in_error_info() -> None:
    async def scenario() -> grpc.aio.AioRpcError:
        async with serving() as (_, ch, _echo):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await ch.unary_unary(method("Raise"))(b"stale", timeout=5)
            return info.value

    exc = run(scenario())
    assert exc.code() == grpc.StatusCode.ABORTED
    err = from_rpc_error(exc)
    assert isinstance(err, e.ConcurrentModification)
    assert err.reason == "CONCURRENT_MODIFICATION"
    assert err.metadata == {"expected_version": "3", "current_version": "5"}
    assert (err.expected_version, err.current_version) == (3, 5)


def test_unexpected_exception_is_internal_without_secret_or_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> grpc.aio.AioRpcError:
        async with serving() as (_, ch, _echo):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await ch.unary_unary(method("Raise"))(b"boom", timeout=5)
            return info.value

    exc = run(scenario())
    assert exc.code() == grpc.StatusCode.INTERNAL
    details = exc.details() or ""
    assert details.startswith("internal error (ref ") and SECRET not in details
    err = from_rpc_error(exc)
    assert isinstance(err, e.Internal)
    ref = err.metadata["ref"]
    assert details == f"internal error (ref {ref})"
    assert SECRET not in caplog.text and "Traceback" not in caplog.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    message = errors[0].getMessage()
    assert errors[0].name == ERROR_LOGGER and errors[0].exc_info is None
    assert f"ref={ref}" in message and "RuntimeError at " in message
    assert "test_runtime_server.py:" in message
    [access] = _access_records(caplog, method("Raise"))
    assert access.rpc_code == "INTERNAL"


def test_handler_abort_keeps_its_code_and_is_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[grpc.aio.AioRpcError, grpc.aio.AioRpcError]:
        async with serving() as (_, ch, _echo):
            with pytest.raises(grpc.aio.AioRpcError) as aborted:
                await ch.unary_unary(method("Raise"))(b"abort", timeout=5)
            with pytest.raises(grpc.aio.AioRpcError) as set_code:
                await ch.unary_unary(method("Raise"))(b"set_code", timeout=5)
            return aborted.value, set_code.value

    aborted, set_code = run(scenario())
    assert (aborted.code(), aborted.details()) == (grpc.StatusCode.NOT_FOUND, "gone away")
    assert set_code.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    codes = [r.rpc_code for r in _access_records(caplog, method("Raise"))]
    assert codes == ["NOT_FOUND", "FAILED_PRECONDITION"]


def test_channel_level_unavailable_has_a_safe_message() -> None:
    port = free_port()

    async def scenario() -> grpc.aio.AioRpcError:
        ch = channel(f"127.0.0.1:{port}")
        try:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await ch.unary_unary(method("Unary"))(b"x", timeout=5)
            return info.value
        finally:
            await ch.close()

    exc = run(scenario())
    assert exc.code() == grpc.StatusCode.UNAVAILABLE
    err = from_rpc_error(exc, "echo", reason_prefix="ECHO")
    assert isinstance(err, e.Unavailable) and err.reason == "ECHO_UNAVAILABLE"
    assert str(port) not in err.message and details_of(exc) is None
    assert err.downstream is exc and err.metadata == {"backend": "echo"}  # the cause, as a declared field


# --- access log and cardinalities --------------------------------------------------------------

def test_one_access_line_per_call_with_method_code_duration_peer(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with serving() as (_, ch, _echo):
            assert await ch.unary_unary(method("Unary"))(b"payload-xyz", timeout=5) == b"payload-xyz"
            assert await ch.unary_unary(method("Unary"))(b"payload-xyz", timeout=5) == b"payload-xyz"
            await _health(ch, SERVICE)

    run(scenario())
    records = _access_records(caplog, method("Unary"))
    assert len(records) == 2
    for record in records:
        message = record.getMessage()
        assert record.levelno == logging.INFO and record.rpc_code == "OK"
        assert f"method={method('Unary')} code=OK duration_ms=" in message
        assert "peer=ipv4:127.0.0.1:" in message
        assert "payload-xyz" not in message


def test_health_checks_are_logged_at_debug_so_the_access_log_shows_what_people_called(
        caplog: pytest.LogCaptureFixture) -> None:
    """Balancers and the gateway poll health every second: Check and Watch lines are DEBUG, calls INFO."""
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        async with serving() as (_, ch, _echo):
            await ch.unary_unary(method("Unary"))(b"payload", timeout=5)
            await _health(ch, SERVICE)
            watch = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=SERVICE))
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
            watch.cancel()
            for _ in range(200):  # the server logs the stream once it has seen the cancellation
                if _access_records(caplog, "/grpc.health.v1.Health/Watch"):
                    break
                await asyncio.sleep(0.05)

    run(scenario())
    assert [r.levelno for r in _access_records(caplog, method("Unary"))] == [logging.INFO]
    for health_method in ("/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"):
        records = _access_records(caplog, health_method)
        assert records and all(r.levelno == logging.DEBUG for r in records), (health_method, records)


def test_unknown_method_is_logged_as_unimplemented(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> grpc.StatusCode:
        async with serving() as (_, ch, _echo):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await ch.unary_unary(method("Nope"))(b"", timeout=5)
            return info.value.code()

    assert run(scenario()) == grpc.StatusCode.UNIMPLEMENTED
    [record] = _access_records(caplog, method("Nope"))
    assert record.rpc_code == "UNIMPLEMENTED"


def test_server_streaming_is_logged_and_translates_errors(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], grpc.aio.AioRpcError, grpc.aio.AioRpcError]:
        async with serving() as (_, ch, _echo):
            stream = ch.unary_stream(method("ServerStream"))
            ok = [m async for m in stream(b"m", timeout=5)]
            written = [m async for m in ch.unary_stream(method("WriterStream"))(b"w", timeout=5)]
            got: list[bytes] = []
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                async for message in stream(b"fail", timeout=5):
                    got.append(message)
            with pytest.raises(grpc.aio.AioRpcError) as boom:
                async for message in stream(b"boom", timeout=5):
                    pass
            assert got == [b"fail0", b"fail1", b"fail2"]
            return ok, written, failed.value, boom.value

    ok, written, failed, boom = run(scenario())
    assert ok == [b"m0", b"m1", b"m2"] and written == [b"w", b"w"]
    assert failed.code() == grpc.StatusCode.NOT_FOUND
    assert isinstance(from_rpc_error(failed), e.NotFound)
    assert boom.code() == grpc.StatusCode.INTERNAL and SECRET not in (boom.details() or "")
    codes = [r.rpc_code for r in _access_records(caplog, method("ServerStream"))]
    assert codes == ["OK", "NOT_FOUND", "INTERNAL"]
    assert [r.rpc_code for r in _access_records(caplog, method("WriterStream"))] == ["OK"]
    assert SECRET not in caplog.text and "Traceback" not in caplog.text


def test_client_and_bidi_streaming(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[bytes, grpc.aio.AioRpcError, list[bytes], grpc.aio.AioRpcError]:
        async with serving() as (_, ch, _echo):
            upload = ch.stream_unary(method("ClientStream"))
            joined = await upload(iter([b"a", b"b", b"c"]), timeout=5)
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await upload(iter([b"a", b"bad"]), timeout=5)
            bidi = ch.stream_stream(method("Bidi"))
            upper = [m async for m in bidi(iter([b"x", b"y"]), timeout=5)]
            with pytest.raises(grpc.aio.AioRpcError) as boom:
                async for _ in bidi(iter([b"x", b"boom"]), timeout=5):
                    pass
            return joined, bad.value, upper, boom.value

    joined, bad, upper, boom = run(scenario())
    assert joined == b"abc" and upper == [b"X", b"Y"]
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in from_rpc_error(bad).violations] == ["chunks"]  # type: ignore[attr-defined]
    assert boom.code() == grpc.StatusCode.INTERNAL
    assert [r.rpc_code for r in _access_records(caplog, method("ClientStream"))] == ["OK", "INVALID_ARGUMENT"]
    assert [r.rpc_code for r in _access_records(caplog, method("Bidi"))] == ["OK", "INTERNAL"]
    assert SECRET not in caplog.text and "Traceback" not in caplog.text


def test_a_generated_not_implemented_stub_answers_unimplemented(caplog: pytest.LogCaptureFixture) -> None:
    """grpc_health's servicer inherits the generated base's plain List stub: UNIMPLEMENTED, not INTERNAL."""
    caplog.set_level(logging.DEBUG)  # health methods log at DEBUG
    async def scenario() -> grpc.aio.AioRpcError:
        async with serving() as (_, ch, _echo):
            call = ch.unary_unary("/grpc.health.v1.Health/List")
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call(b"", timeout=5)
            return info.value

    error = run(scenario())
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    assert [r.rpc_code for r in _access_records(caplog, "/grpc.health.v1.Health/List")] == ["UNIMPLEMENTED"]
    assert "Traceback" not in caplog.text


def test_remaining_timeout_follows_the_callers_deadline() -> None:
    async def scenario() -> tuple[float, float]:
        async with serving() as (_, ch, _echo):
            call = ch.unary_unary(method("Deadline"))
            with_deadline = float(await call(b"", timeout=2))
            without = float(await call(b""))
            return with_deadline, without

    with_deadline, without = run(scenario())
    assert 1.0 < with_deadline <= 2.0
    assert without == 10.0


# --- graceful shutdown -------------------------------------------------------------------------

def test_graceful_shutdown_finishes_in_flight_calls_and_refuses_new_ones(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        echo = Echo()
        served = _build(echo)
        await start(served)
        ch = channel(f"127.0.0.1:{served.port}")
        stopped: list[str] = []

        async def on_stop() -> None:
            stopped.append("done")

        try:
            slow = asyncio.ensure_future(ch.unary_unary(method("Slow"))(b"slow", timeout=5))
            await asyncio.wait_for(echo.slow_started.wait(), 5)
            stopping = asyncio.ensure_future(shutdown(served, 5.0, on_stop=on_stop))
            await asyncio.sleep(0.1)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await ch.unary_unary(method("Unary"))(b"new", timeout=2)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert not stopped
            assert await slow == b"slow"
            await stopping
            assert stopped == ["done"]
        finally:
            await ch.close()

    run(scenario())
    [record] = _access_records(caplog, method("Slow"))
    assert record.rpc_code == "OK" and record.duration_ms >= 400


def test_cleanups_run_in_order_after_stop_even_when_one_fails(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> list[str]:
        served = _build(Echo())
        await start(served)
        ran: list[str] = []

        async def workers() -> None:
            ran.append("workers")
            raise RuntimeError(SECRET)

        async def database() -> None:
            ran.append("database")

        async def on_stop() -> None:
            ran.append("on_stop")

        served.cleanups.extend([workers, database])
        await shutdown(served, 0, on_stop=on_stop)
        await shutdown(served, 0, on_stop=on_stop)  # idempotent
        return ran

    assert run(scenario()) == ["workers", "database", "on_stop"]
    assert SECRET not in caplog.text and "Traceback" not in caplog.text
    assert "RuntimeError at " in caplog.text


def test_health_reports_not_serving_once_shutdown_starts() -> None:
    async def scenario() -> None:
        served = _build(Echo())
        await start(served)
        ch = channel(f"127.0.0.1:{served.port}")
        try:
            watch = health_pb2_grpc.HealthStub(ch).Watch(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=10)
            first = await watch.read()
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            stopping = asyncio.ensure_future(shutdown(served, 1.0, notice_seconds=0.5))
            changed = await asyncio.wait_for(watch.read(), 5)
            assert changed.status == health_pb2.HealthCheckResponse.NOT_SERVING
            # During the notice period new calls are still accepted and see NOT_SERVING.
            for name in (SERVICE, OTHER, ""):
                assert await _health(ch, name) == health_pb2.HealthCheckResponse.NOT_SERVING
            watch.cancel()
            await stopping
        finally:
            await ch.close()

    run(scenario())


def test_serve_forever_stops_gracefully_on_sigterm() -> None:
    async def scenario() -> list[str]:
        served = _build(Echo())
        stopped: list[str] = []

        async def on_stop() -> None:
            stopped.append("closed")

        forever = asyncio.ensure_future(serve_forever(served, grace_seconds=1.0, on_stop=on_stop))
        ch = channel(f"127.0.0.1:{served.port}")
        try:
            call = ch.unary_unary(method("Unary"))
            assert await call(b"up", timeout=5, wait_for_ready=True) == b"up"
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(forever, 10)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(b"down", timeout=2)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        finally:
            await ch.close()
        return stopped

    assert run(scenario()) == ["closed"]
