"""Hostile HTTP input at the facade: every answer is the route's JSON error body, never a 500.

- JSON nested deeper than ``gateway.json_depth.MAX_JSON_DEPTH`` (100 000 arrays, 5 000 levels inside
  ``repository``) is 400 INVALID_ARGUMENT before any parser recurses;
- a body whose ``Content-Encoding`` cannot be decoded is 400;
- a caller without a valid key is refused (401) before its body is read: the answer comes while the
  body has not even been sent;
- aiohttp's own refusals (request line or header too long, not HTTP at all, a bad
  ``Transfer-Encoding``) answer in the same JSON error format;
- over gRPC, a protobuf message nested past protobuf's recursion limit is INVALID_ARGUMENT.
"""

from __future__ import annotations

import json
import socket
import zlib

import grpc
import httpx
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.rich import expect_error

# How long a raw socket waits for an answer: a server that waits for the whole body never answers.
SOCKET_TIMEOUT = 10.0


@pytest.fixture
def base(gateway) -> str:
    return f"http://127.0.0.1:{gateway.served.http_port}"


def auth(gateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway.key}", "Content-Type": "application/json"}


# commercetools Connect's error codes (the /connectors routes speak its dialect) by the gRPC code behind them.
COMMERCETOOLS_CODES = {"InvalidJsonInput": "INVALID_ARGUMENT", "InvalidInput": "INVALID_ARGUMENT",
                       "invalid_token": "UNAUTHENTICATED", "insufficient_scope": "PERMISSION_DENIED"}


def assert_json_error(response: httpx.Response, status: int, code: str) -> dict:
    """The route's JSON error with HTTP ``status`` for gRPC ``code``, as a dict with ``code``, ``status``,
    ``message`` and ``field`` (the first violated field), whichever dialect the route speaks."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert "Traceback" not in response.text
    body = response.json()
    if "statusCode" in body:  # commercetools Connect's ErrorResponse
        assert body["statusCode"] == status and body["errors"], body
        first = body["errors"][0]
        assert COMMERCETOOLS_CODES.get(first["code"], "OTHER") == (code if code in COMMERCETOOLS_CODES.values()
                                                                   else "OTHER"), body
        message = " ".join([body["message"], *(e.get("detailedErrorMessage", "") for e in body["errors"])])
        field = first.get("field") or ("body" if first["code"] == "InvalidJsonInput" else "")
        return {"code": status, "status": code, "message": message, "field": field}
    error = body["error"]
    assert error["code"] == status and error["status"] == code, error
    bad = [d for d in error["details"] if d["@type"].endswith("BadRequest")]
    return {**error, "field": bad[0]["fieldViolations"][0]["field"] if bad else ""}


def violation_field(error: dict) -> str:
    return error["field"]


def nested_arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


DEEP_BODIES = {
    "100k-arrays": nested_arrays(100_000),
    "100k-arrays-unclosed": "[" * 100_000,
    "5k-inside-repository": '{"key": "deep", "repository": {"url": ' + nested_arrays(5_000) + "}}",
    "5k-objects": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "deep-in-actions": '{"version": 1, "actions": [' + '{"x":' * 3_000 + "{}" + "}" * 3_000 + "]}",
}


@pytest.mark.parametrize("name", sorted(DEEP_BODIES))
def test_deeply_nested_json_is_400(gateway, base, name):
    path = "/connectors/drafts/some-id" if "actions" in name else "/connectors/drafts"
    response = httpx.post(f"{base}{path}", content=DEEP_BODIES[name], headers=auth(gateway), timeout=30)
    error = assert_json_error(response, 400, "INVALID_ARGUMENT")
    assert violation_field(error) in ("body", "draft") and "nested deeper than 64" in error["message"], error


def test_nesting_within_the_limit_is_parsed(gateway, base):
    """The bound refuses depth, not structure: a shallow body with many arrays is an ordinary 400
    naming the wrong field, a normal create succeeds."""
    wide = '{"key": "wide", "supportedRegions": [' + ",".join(["[]"] * 10_000) + "]}"
    response = httpx.post(f"{base}/connectors/drafts", content=wide, headers=auth(gateway), timeout=30)
    error = assert_json_error(response, 400, "INVALID_ARGUMENT")
    assert "nested" not in error["message"]
    created = httpx.post(f"{base}/connectors/drafts", headers=auth(gateway), json={
        "key": "shallow", "name": "Shallow", "creator": {"email": "dev@example.com"}, "repository": {"url": "https://github.com/a/b.git", "tag": "v1"},
        "description": "[[[[[[[[[[ {{{{ brackets in a string do not count"})
    assert created.status_code == 201, created.text


def test_an_undecodable_content_encoding_is_400(gateway, base):
    headers = {**auth(gateway), "Content-Encoding": "deflate"}
    garbage = httpx.post(f"{base}/connectors/drafts", content=b"\x00\x01garbage, not deflate" * 50,
                         headers=headers)
    assert_json_error(garbage, 400, "INVALID_ARGUMENT")
    # A real deflate body is decoded and served.
    body = json.dumps({"key": "deflated", "name": "Deflated", "creator": {"email": "dev@example.com"},
                       "repository": {"url": "https://github.com/a/b.git", "tag": "v1"}}).encode()
    good = httpx.post(f"{base}/connectors/drafts", content=zlib.compress(body), headers=headers)
    assert good.status_code == 201, good.text


def test_a_caller_without_a_key_is_refused_before_the_body_is_parsed(gateway, base, keys):
    anonymous = httpx.post(f"{base}/connectors/drafts", content="{not json",
                           headers={"Content-Type": "application/json"})
    error = assert_json_error(anonymous, 401, "UNAUTHENTICATED")
    assert "JSON" not in error["message"]
    wrong = httpx.post(f"{base}/connectors/drafts", content=nested_arrays(100_000),
                       headers={"Authorization": "Bearer pbk_nope.nope"})
    assert_json_error(wrong, 401, "UNAUTHENTICATED")
    viewer = httpx.post(f"{base}/connectors/drafts", content="{not json",
                        headers={"X-API-Key": keys.create("acme", ["view_connectors"])})
    assert_json_error(viewer, 403, "PERMISSION_DENIED")


def raw_exchange(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (and ``body``), read one HTTP response: status, headers (lower-case), body."""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(head + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without an answer: {received!r}"
            received += chunk
        head_part, _, rest = received.partition(b"\r\n\r\n")
        lines = head_part.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return status, headers, rest[:length]


def test_the_refusal_comes_while_the_body_is_still_unsent(gateway):
    """A keyless request announcing 4 MiB gets its 401 after a few bytes: the body is never awaited."""
    port = gateway.served.http_port
    head = (b"POST /connectors/drafts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4000000\r\n\r\n")
    status, headers, body = raw_exchange(port, head, b"[[[[")
    assert status == 401 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["errors"][0]["code"] == "invalid_token"  # commercetools' 401, on its route


RAW_REFUSALS = {
    "request-line-too-long": b"GET /connectors?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "header-too-long": b"GET /connectors HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 20_000 + b"\r\n\r\n",
    "too-many-headers": b"GET /connectors HTTP/1.1\r\nHost: x\r\n"
                        + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n",
    "not-http": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n",
    "bad-method": b"G@T /connectors HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad-transfer-encoding": b"POST /connectors/drafts HTTP/1.1\r\nHost: x\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n\r\n",
    "bad-content-length": b"POST /connectors/drafts HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(RAW_REFUSALS))
def test_aiohttp_refusals_answer_the_json_error_format(gateway, name, caplog):
    status, headers, body = raw_exchange(gateway.served.http_port, RAW_REFUSALS[name])
    assert 400 <= status < 500, (status, body[:300])
    assert headers["content-type"].startswith("application/json"), (headers, body[:300])
    error = json.loads(body)["error"]
    assert error["code"] == status and error["status"] in ("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED"), error
    reasons = [d["reason"] for d in error["details"] if d["@type"].endswith("ErrorInfo")]
    assert reasons == ["MALFORMED_HTTP_REQUEST"] if status == 400 else reasons, error
    assert b"aaaa" not in body and b"bbbb" not in body  # the request is not echoed back
    assert not [r for r in caplog.records if r.exc_info], "no traceback is logged"


def nested_groups(depth: int) -> bytes:
    """Field 15 as start-group tags ``depth`` deep, closed again: an unknown field nested ``depth`` deep."""
    start, end = bytes([(15 << 3) | 3]), bytes([(15 << 3) | 4])
    return start * depth + end * depth


def nested_lengths(depth: int) -> bytes:
    """Field 15 as length-delimited fields holding each other, ``depth`` deep."""
    inner = b""
    for _ in range(depth):
        inner = bytes([(15 << 3) | 2]) + _varint(len(inner)) + inner
    return inner


def _varint(value: int) -> bytes:
    out = b""
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


@pytest.mark.parametrize("build", [nested_groups, nested_lengths])
@pytest.mark.parametrize("method", ["GetConnector", "GetInstance", "CreateConnectorStaged"])
def test_deeply_nested_protobuf_is_invalid_argument(gateway, build, method):
    """Bytes nested past protobuf's recursion limit (100) to methods that the gateway decodes (identity
    field) and to ones it passes through: INVALID_ARGUMENT, never INTERNAL/UNKNOWN."""
    service = "plugboard.instance.v1.InstanceService" if method == "GetInstance" else \
        "plugboard.catalog.v1.CatalogService"
    call = gateway.channel.unary_unary(f"/{service}/{method}")
    with pytest.raises(grpc.RpcError) as info:
        call(build(10_000), timeout=10)
    # Groups nest in the decoder (refused past its limit); length-delimited unknown fields are skipped
    # whole, leaving an empty request (no such connector/instance, or a draft missing its fields).
    expected = {grpc.StatusCode.INVALID_ARGUMENT} if build is nested_groups else {
        grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}
    assert info.value.code() in expected, (info.value.code(), info.value.details())
    # Whatever the decoder did, the gateway still serves.
    assert cgrpc.CatalogServiceStub(gateway.channel).ListConnectors(cpb.ListConnectorsRequest(), timeout=10)
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: igrpc.InstanceServiceStub(gateway.channel).GetInstance(
        ispb.GetInstanceRequest(id="missing"), timeout=10))


def test_a_body_over_the_limit_is_413_in_the_error_format(gateway, base, settings):
    body = b'{"key": "big", "description": "' + b"x" * settings.max_message_bytes + b'"}'
    response = httpx.post(f"{base}/connectors/drafts", content=body, headers=auth(gateway), timeout=30)
    error = assert_json_error(response, 413, "RESOURCE_EXHAUSTED")
    assert str(settings.max_message_bytes) in error["message"]
