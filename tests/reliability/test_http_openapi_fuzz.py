"""The gateway's HTTP/JSON facade fuzzed from its own OpenAPI document (``GET /openapi.json``).

schemathesis (``schemathesis.openapi.from_url``) turns every operation of the document into a
hypothesis strategy of requests: valid ones (positive mode) and ones that break the schema (negative
mode: wrong types, missing fields, out-of-range values). Each request is sent with the project's API
key to the running gateway (the ``stack`` fixture: catalog, instance service and gateway on SQLite or
PostgreSQL). The oracle: no 5xx other than 503/504, no traceback text in any body, and every JSON
answer, success or error, valid against the schema the document declares for its route and status
(each route's dialect: commercetools' models on the seed 002 routes, protobuf's JSON mapping elsewhere).

The bugs it found have their own tests below: a JSON body that is ``true``/a number/``null`` (was a
plain-text 500), a newline in a path segment (was aiohttp's plain-text 404), a query integer outside the
int32 range (was 500), a body that is not UTF-8 (was 500); all are now 400/404 in the error format.
So have those an outside review found: JSON nested 100 000 deep, or 5 000 deep inside a field, on every
route with a body (was 500 RecursionError), an undecodable ``Content-Encoding: deflate`` body (was 500),
and a keyless request that was parsed before it was refused.

Default: 2 examples per operation and mode (27 operations) on SQLite; PostgreSQL with ``-m slow``. Full run (``PLUGBOARD_FULL=1``): 1 000, or
``PLUGBOARD_HTTP_FUZZ_EXAMPLES=N``.
"""

from __future__ import annotations

import collections
import json
import os
import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from schemathesis import GenerationMode

from gateway.dialects import dialect_routes
from gateway.http_rules import routes as http_routes
from gateway.routes import SERVICES
from tests.dialect_errors import http_error
from tests.reliability.conftest import storage_url
from tests.reliability.fuzz import FULL, TRACEBACK_MARKS
from tests.reliability.stack import start_stack

EXAMPLES = int(os.environ.get("PLUGBOARD_HTTP_FUZZ_EXAMPLES", "") or (1000 if FULL else 2))
ALLOWED_5XX = {503, 504}
# aiohttp's HTTP parser refuses a request line longer than its max_line_size (8190 bytes) itself, in
# plain text, before any route or dialect sees it (schemathesis reaches it with long repeated query
# parameters such as GET /connectors/search?id=...&id=...).
PARSER_REFUSAL = "400, message: Got more than"


def has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])])
def stack(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The conftest's stack, with PostgreSQL only in the slow/full run."""
    directory = tmp_path_factory.mktemp(f"http-{request.param}")
    for url in storage_url(request.param, directory, request):
        running = start_stack(request.param, url, directory)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="module")
def facade(stack):  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    return base, schemathesis.openapi.from_url(f"{base}/openapi.json")


@pytest.fixture(scope="module")
def document(facade):  # type: ignore[no-untyped-def]
    base, _ = facade
    return requests.get(f"{base}/openapi.json", timeout=30).json()


def schema_problems(document: dict, path: str, method: str, status: int, body: object) -> list[str]:
    """What in ``body`` differs from the schema the document declares for this route and status."""
    responses = document["paths"][path][method.lower()]["responses"]
    declared = responses.get(str(status)) or responses["default"]
    content = declared["content"].get("application/json")
    if content is None:  # the watch stream's JSON lines
        return []
    schema = {**content["schema"], "components": document["components"]}
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:200]
            for e in OAS30Validator(schema).iter_errors(body)][:3]


def test_the_openapi_document_lists_every_operation(facade):
    _, schema = facade
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [f"{op.method} {op.path}" for op in operations]
    listed = {f"{op.method.upper()} {op.path}" for op in operations}
    assert {"POST /projects/{project}/installations", "GET /projects/{project}/installations",  # issue 16
            "GET /projects/{project}/installations/{id}", "DELETE /projects/{project}/installations/{id}",
            "POST /projects/{project}/installations/{id}:update",
            "GET /keys/changes", "GET /keys/changes/{id}"} <= listed, sorted(listed)  # the gateway's own


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_server_error_and_no_traceback_from_generated_requests(stack, facade, document, mode):
    base, schema = facade
    operations = [result.ok() for result in schema.get_all_operations()]
    strategy = st.one_of(*(op.as_strategy(generation_mode=mode) for op in operations))
    auth = {"Authorization": f"Bearer {stack.gateway_key}"}
    statuses: collections.Counter[int | str] = collections.Counter()
    problems: list[str] = []
    session = requests.Session()

    @settings(max_examples=EXAMPLES * len(operations), deadline=None, derandomize=not FULL,
              suppress_health_check=list(HealthCheck), database=None)
    @given(case=strategy)
    def run(case):  # type: ignore[no-untyped-def]
        response = case.call(base_url=base, session=session, headers=auth, timeout=30)
        statuses[response.status_code] += 1
        where = f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}"[:400]
        text = response.text
        if response.status_code >= 500 and response.status_code not in ALLOWED_5XX:
            problems.append(f"{where} -> {response.status_code}: {text[:300]}")
        if any(mark in text for mark in TRACEBACK_MARKS):
            problems.append(f"{where} -> traceback text: {text[:300]}")
        if "application/x-ndjson" in str(response.headers.get("content-type", "")):  # JSON lines
            return
        try:
            body = json.loads(text)
        except ValueError:
            if response.status_code == 400 and text.startswith(PARSER_REFUSAL):
                statuses["parser"] += 1  # a request line beyond aiohttp's limit: refused before routing
                return
            problems.append(f"{where} -> {response.status_code} is not JSON: {text[:300]}")
            return
        wrong = schema_problems(document, case.operation.path, case.method, response.status_code, body)
        if wrong:
            problems.append(f"{where} -> {response.status_code} differs from the document: {wrong} {text[:200]}")

    try:
        run()
    finally:
        session.close()
    assert not problems, f"{len(problems)} problems, e.g. {problems[:5]}"
    print(f"\nHTTP fuzz [{stack.kind}, {mode.value}]: {sum(statuses.values())} requests over "
          f"{len(operations)} operations, statuses {dict(sorted(statuses.items(), key=str))}")


def post_json(stack, path: str, body: str | bytes) -> requests.Response:  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    return requests.post(base + path, data=body, timeout=30, headers={
        "Authorization": f"Bearer {stack.gateway_key}", "Content-Type": "application/json"})


@pytest.mark.parametrize("body", ["true", "1", "null"])
def test_a_json_body_that_is_not_an_object_is_400(stack, body):
    for path in (f"/projects/{stack.project}/instances", f"/projects/{stack.project}/instances:upgrade",
                 "/certification/drafts/x:comment"):
        response = post_json(stack, path, body)
        assert response.status_code == 400, f"POST {path} {body} -> {response.status_code} {response.text[:80]}"
        assert json.loads(response.text)["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("query", ["offset=2147483648", "limit=99999999999"])
def test_a_query_integer_out_of_range_is_400(stack, query):
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    for path in ("/connectors/search", "/connectors/nope/versions"):
        response = requests.get(f"{base}{path}?{query}", timeout=30,
                                headers={"Authorization": f"Bearer {stack.gateway_key}"})
        assert response.status_code == 400, f"GET {path}?{query} -> {response.status_code}"


def test_a_body_that_is_not_utf8_is_400(stack):
    response = post_json(stack, f"/projects/{stack.project}/instances", b"\xff\xfe{}")  # type: ignore[arg-type]
    assert response.status_code == 400, f"-> {response.status_code} {response.text[:80]}"


def test_a_newline_in_a_path_segment_answers_in_the_error_format(stack):
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    response = requests.get(f"{base}/projects/{stack.project}/instances/a%0Ab", timeout=30,
                            headers={"Authorization": f"Bearer {stack.gateway_key}"})
    assert response.status_code == 404
    assert json.loads(response.text)["error"]["status"] == "NOT_FOUND", response.text[:80]


# Every route with a body, in every dialect (the seed dialects' own bindings included).
BODY_ROUTES = [route for route in dialect_routes(http_routes([m for service, _ in SERVICES for m in service.methods]))
               if route.body]
DEEP = {
    "100k-arrays": "[" * 100_000 + "]" * 100_000,
    "5k-inside-a-field": '{"repository": {"url": ' + "[" * 5_000 + "]" * 5_000 + '}, "name": {"a":'
                         + '{"b":' * 5_000 + "1" + "}" * 5_001 + "}",
}


def route_path(route, stack) -> str:  # type: ignore[no-untyped-def]
    """The route's template with its variables filled in (the stack's project, else "x")."""
    return re.sub(r"\{([^}=]+)(?:=[^}]*)?\}", lambda found: stack.project if found.group(1) == "project" else "x",
                                route.template)


@pytest.mark.parametrize("depth", sorted(DEEP))
def test_deeply_nested_json_is_400_on_every_route_with_a_body(stack, depth):
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    assert len(BODY_ROUTES) >= 10
    for route in BODY_ROUTES:
        path = route_path(route, stack)
        response = requests.request(route.verb, base + path, data=DEEP[depth], timeout=30, headers={
            "Authorization": f"Bearer {stack.gateway_key}", "Content-Type": "application/json"})
        where = f"{route.verb} {path} ({depth})"
        expected = 422 if route.template.startswith("/api/v1/") else 400  # Patchworks: validation errors are 422
        assert response.status_code == expected, f"{where} -> {response.status_code} {response.text[:200]}"
        status, text = http_error(response.status_code, json.loads(response.text))
        assert status == "INVALID_ARGUMENT" and "nested deeper" in text, f"{where} -> {response.text[:200]}"


def test_an_undecodable_content_encoding_is_400(stack):
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    response = requests.post(f"{base}/projects/{stack.project}/instances", data=b"\x78\x9cgarbage" * 100,
                             timeout=30, headers={"Authorization": f"Bearer {stack.gateway_key}",
                                                  "Content-Encoding": "deflate"})
    assert response.status_code == 400, f"-> {response.status_code} {response.text[:200]}"
    assert json.loads(response.text)["error"]["status"] == "INVALID_ARGUMENT"


def test_a_keyless_request_is_refused_before_its_body_is_parsed(stack):
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    for route in BODY_ROUTES:
        response = requests.request(route.verb, base + route_path(route, stack), data=DEEP["100k-arrays"],
                                    timeout=30, headers={"Content-Type": "application/json"})
        assert response.status_code == 401, f"{route.verb} {route.template} -> {response.status_code}"
        assert http_error(401, json.loads(response.text))[0] == "UNAUTHENTICATED", response.text[:200]
