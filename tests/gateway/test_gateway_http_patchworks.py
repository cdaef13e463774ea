"""Seed 004's request and response tables replayed against ``/api/v1/connectors`` (Patchworks'
API; a Patchworks connector is a Plugboard instance): list with every filter, include, sort and paging
parameter, create with every field of the validation table, get, update (PUT) with and without a
version, delete, test. Every answer is checked against the served OpenAPI document's schema."""

from __future__ import annotations

import httpx
import pytest

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from tests.gateway.test_gateway_http_commercetools import conforms
from tests.instance.helpers import publish
from tests.instance.third_party import API_KEY, ThirdParty

SPEC = (
    "deployAs:\n  - name: app\n    applicationType: service\n    endpoint: /app\n    configuration:\n"
    "      standardConfiguration:\n        - {key: BASE, description: host, required: true}\n"
    "      securedConfiguration:\n        - {key: API_KEY, description: key, required: true}\n"
    "connection:\n  baseUrl: \"http://{BASE}\"\n"
    "  authentication: {type: api_key_header, parameterName: X-Api-Key, apiKeyVariable: API_KEY}\n"
    "  testRequest: {method: GET, path: /key-header/ping, expectedStatus: [200]}\n"
)
SEED_INCLUDES = [
    "authenticationImplementation", "authenticationImplementation_count", "authenticationImplementationExists",
    "authenticationImplementation.authenticationType", "authenticationImplementation.system",
    "authenticationImplementation.system.logo", "authenticationImplementation.endpoints",
    "authenticationImplementation.endpoints.filters", "authenticationImplementation.endpoints.endpointSchema",
    "authenticationImplementation.endpoints.system", "authenticationImplementation.endpoints.system.logo",
    "authenticationImplementation.endpoints.entityType", "authenticationImplementation.endpoints.fieldTags",
    "authenticationImplementation.system.systemType", "variables", "variables_count", "variablesExists",
    "authenticationImplementation.endpoints.variables", "certificate", "certificate_count", "certificateExists",
    "certificate.user",
]


@pytest.fixture
def settings(settings):
    """Connection tests may reach the loopback third party."""
    return settings.with_overrides(connection_test_allow_cidrs=("127.0.0.0/8",))


@pytest.fixture
def third_party():
    server = ThirdParty()
    yield server
    server.close()


@pytest.fixture
def api(gateway):
    """A client sending the key as seed 004 says: ``Authorization: <api-key>``."""
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.served.http_port}",
                      headers={"Authorization": gateway.key}, timeout=15) as client:
        yield client


@pytest.fixture
def document(api):
    return api.get("/openapi.json").json()


@pytest.fixture
def system(gateway, unique):
    """A published connector: the authentication implementation / system of seed 004."""
    return publish(cgrpc.CatalogServiceStub(gateway.channel), "acme", f"pw-{unique}", SPEC)


def body(system: str, base: str, **extra) -> dict:
    """Seed 004's create table, every field."""
    return {"name": "Shopify EU", "authentication_implementation_id": system, "timezone": "Europe/London",
            "date_format": "Y-m-d", "rate_limit_unit": "minute", "rate_limit_duration": 60,
            "connection_pool_id": 7, "session_id": "session-1", "platform_app_key": "app-1", "certificate_id": None,
            "variables": [
                {"key": "BASE", "value": base, "label": "Host", "secret": False, "locked": False,
                 "pivot": {"alias": "host", "configurable": True, "required": True, "advanced": False}},
                {"key": "API_KEY", "value": API_KEY, "label": "API key", "secret": True, "locked": False,
                 "pivot": {"alias": "key", "configurable": True, "required": True, "advanced": True}}],
            **extra}


def error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    found = response.json()
    assert isinstance(found["message"], str) and found["message"], found
    return found


def test_create_get_update_delete_and_test_as_the_seed_tables(api, document, system, third_party):
    created = api.post("/api/v1/connectors", json=body(system, f"127.0.0.1:{third_party.port}"))
    data = conforms(document, "/api/v1/connectors", "post", created)["data"]
    assert created.status_code == 200
    assert {k: data[k] for k in ("name", "authentication_implementation_id", "timezone", "date_format",
                                 "rate_limit_unit", "rate_limit_duration", "connection_pool_id", "session_id",
                                 "platform_app_key", "certificate_id", "version")} == {
        "name": "Shopify EU", "authentication_implementation_id": system, "timezone": "Europe/London",
        "date_format": "Y-m-d", "rate_limit_unit": "minute", "rate_limit_duration": 60, "connection_pool_id": 7,
        "session_id": "session-1", "platform_app_key": "app-1", "certificate_id": None, "version": 1}
    assert "variables" not in data and API_KEY not in created.text  # secrets never come back
    connector = data["id"]

    got = api.get(f"/api/v1/connectors/{connector}", params={"include": "variables,variables_count,variablesExists"})
    shown = conforms(document, "/api/v1/connectors/{id}", "get", got)["data"]
    assert shown["variables_count"] == 2 and shown["variables_exists"] is True
    by_key = {v["key"]: v for v in shown["variables"]}
    assert by_key["BASE"]["value"] == f"127.0.0.1:{third_party.port}" and by_key["BASE"]["label"] == "Host"
    assert by_key["BASE"]["pivot"] == {"alias": "host", "configurable": True, "required": True, "advanced": False}
    assert by_key["API_KEY"]["secret"] is True and by_key["API_KEY"]["value"] is None
    every = api.get(f"/api/v1/connectors/{connector}", params={"include": ",".join(SEED_INCLUDES)})
    full = conforms(document, "/api/v1/connectors/{id}", "get", every)["data"]
    assert full["authentication_implementation"]["id"] == system
    assert full["authentication_implementation"]["system"]["id"] == system
    assert full["authentication_implementation_count"] == 1 and full["certificate"] is None
    assert full["certificate_count"] == 0 and full["certificate_exists"] is False

    # PUT without a version: applied to the current state.
    renamed = api.put(f"/api/v1/connectors/{connector}", json={
        "name": "Shopify UK", "type": "shop", "timezone": "Europe/Paris", "date_format": "d/m/Y",
        "rate_limit_unit": "hour", "rate_limit_duration": 100, "connection_pool_id": None,
        "variables": [{"id": by_key["BASE"]["id"], "key": "BASE", "value": f"127.0.0.1:{third_party.port}",
                       "label": "Host name", "pivot": {"alias": "host", "configurable": True, "required": True,
                                                       "advanced": False}}]})
    updated = conforms(document, "/api/v1/connectors/{id}", "put", renamed)["data"]
    assert renamed.status_code == 200, renamed.text
    assert (updated["name"], updated["type"], updated["timezone"], updated["date_format"], updated["rate_limit_unit"],
            updated["rate_limit_duration"], updated["connection_pool_id"], updated["version"]) == (
        "Shopify UK", "shop", "Europe/Paris", "d/m/Y", "hour", 100, None, 2)
    # A version (body or If-Match) makes it conditional.
    stale = api.put(f"/api/v1/connectors/{connector}", json={"name": "Late", "version": 1})
    assert error(stale, 409)["current_version"] == 2
    assert api.put(f"/api/v1/connectors/{connector}", json={"name": "Late"}, headers={"If-Match": '"1"'}).status_code == 409
    matched = api.put(f"/api/v1/connectors/{connector}", json={"name": "On time"}, headers={"If-Match": '"2"'})
    assert matched.status_code == 200 and matched.json()["data"]["version"] == 3
    for huge in (2 ** 65, -1, "3"):  # not a version: 422, never a 500
        assert "version" in error(api.put(f"/api/v1/connectors/{connector}", json={"version": huge}), 422)["errors"]
    assert error(api.put(f"/api/v1/connectors/{connector}", json={"rate_limit_duration": 2 ** 40}), 422)["errors"]
    moved = api.put(f"/api/v1/connectors/{connector}", json={"authentication_implementation_id": "another"})
    assert "authentication_implementation_id" in error(moved, 422)["errors"]

    tested = api.post(f"/api/v1/connectors/{connector}/test")
    assert tested.status_code == 200 and tested.content == b"", tested.text  # seed 004: no content
    assert third_party.requests[-1][2]["x-api-key"] == API_KEY
    broken = api.put(f"/api/v1/connectors/{connector}", json={"variables": [{"key": "API_KEY", "value": "wrong",
                                                                             "secret": True}]})
    assert broken.status_code == 200, broken.text
    failed = api.post(f"/api/v1/connectors/{connector}/test")
    conforms(document, "/api/v1/connectors/{id}/test", "post", failed)
    assert error(failed, 422)["outcome"] == "auth_failed"

    deleted = api.delete(f"/api/v1/connectors/{connector}")
    assert conforms(document, "/api/v1/connectors/{id}", "delete", deleted) == {"message": "Connector deleted."}
    missing = api.get(f"/api/v1/connectors/{connector}")
    conforms(document, "/api/v1/connectors/{id}", "get", missing)
    assert error(missing, 404)["message"] == "Connector not found."


def test_an_idempotency_key_makes_a_create_replayable(api, system):
    first = api.post("/api/v1/connectors", json=body(system, "x"), headers={"Idempotency-Key": "create-1"})
    again = api.post("/api/v1/connectors", json=body(system, "x"), headers={"Idempotency-Key": "create-1"})
    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    assert api.get("/api/v1/connectors").json()["meta"]["total"] == 1


def test_validation_errors_are_422_with_every_field(api, document, system):
    empty = api.post("/api/v1/connectors", json={})
    conforms(document, "/api/v1/connectors", "post", empty)
    errors = error(empty, 422)["errors"]
    assert set(errors) == {"name", "authentication_implementation_id", "timezone", "date_format", "rate_limit_unit",
                           "rate_limit_duration"}
    assert errors["name"] == ["The name field is required."]
    assert empty.json()["message"] == "The name field is required. (and 5 more errors)"
    wrong = api.post("/api/v1/connectors", json=body(system, "x", rate_limit_duration="sixty", rate_limit_unit="week",
                                                      colour="red"))
    errors = error(wrong, 422)["errors"]
    assert errors["rate_limit_duration"] == ["The rate limit duration field must be an integer."]
    assert set(errors) == {"rate_limit_duration", "rate_limit_unit", "colour"}
    unknown = api.post("/api/v1/connectors", json=body("no-such-connector", "x"))
    assert error(unknown, 422)["errors"]["authentication_implementation_id"] == [
        "The selected authentication implementation id is invalid."]
    bad_variable = api.post("/api/v1/connectors", json=body(system, "x", variables=[{"key": "NOPE", "value": "v"}]))
    assert any(k.startswith("variables") for k in error(bad_variable, 422)["errors"]), bad_variable.text


def test_list_filters_includes_sorts_and_laravel_paging(api, document, system, third_party):
    base = f"127.0.0.1:{third_party.port}"
    ids = {}
    for name, session, app in (("Bravo", "s-1", "app-1"), ("Alpha", "s-2", "app-1"), ("Charlie", "s-1", "app-2")):
        made = api.post("/api/v1/connectors", json=body(system, base, name=name, session_id=session,
                                                        platform_app_key=app))
        assert made.status_code == 200, made.text
        ids[name] = made.json()["data"]["id"]
    listed = api.get("/api/v1/connectors", params={"sort": "name", "per_page": 2})
    page = conforms(document, "/api/v1/connectors", "get", listed)
    assert [c["name"] for c in page["data"]] == ["Alpha", "Bravo"]
    assert {k: page["meta"][k] for k in ("current_page", "from", "last_page", "per_page", "to", "total")} == {
        "current_page": 1, "from": 1, "last_page": 2, "per_page": 2, "to": 2, "total": 3}
    assert page["links"]["prev"] is None and page["links"]["next"].endswith("page=2")
    second = api.get(page["links"]["next"])
    assert [c["name"] for c in conforms(document, "/api/v1/connectors", "get", second)["data"]] == ["Charlie"]
    assert second.json()["links"]["next"] is None and second.json()["meta"]["from"] == 3
    assert [c["name"] for c in api.get("/api/v1/connectors", params={"sort": "-name"}).json()["data"]] == [
        "Charlie", "Bravo", "Alpha"]
    for name, value, expected in (("canonical_key", None, 3), ("system", system, 3), ("system_template_id", system, 3),
                                  ("forSystemTemplate", system, 3), ("forSession", "s-1", 2),
                                  ("platformSession", "app-2", 1), ("system", "other", 0)):
        key = value if value is not None else api.get(f"/api/v1/connectors/{ids['Alpha']}", params={
            "include": "authenticationImplementation"}).json()["data"]["authentication_implementation"]["canonical_key"]
        found = api.get("/api/v1/connectors", params={f"filter[{name}]": key})
        assert conforms(document, "/api/v1/connectors", "get", found)["meta"]["total"] == expected, (name, found.text)
    with_vars = api.get("/api/v1/connectors", params={"include": "variables_count,certificateExists"}).json()["data"]
    assert all(c["variables_count"] == 2 and c["certificate_exists"] is False for c in with_vars)
    certified = api.post("/api/v1/connectors", json=body(system, base, name="Delta", certificate_id="cert-1"))
    assert certified.status_code == 200 and certified.json()["data"]["certificate_id"] == "cert-1"
    shown = api.get(f"/api/v1/connectors/{certified.json()['data']['id']}",
                    params={"include": "certificate,certificate.user,certificate_count,certificateExists"})
    data = conforms(document, "/api/v1/connectors/{id}", "get", shown)["data"]
    assert data["certificate"] == {"id": "cert-1", "user": None}
    assert data["certificate_count"] == 1 and data["certificate_exists"] is True

    for params in ({"include": "colour"}, {"filter[colour]": "x"}, {"sort": "created_at"}, {"colour": "red"}):
        refused = api.get("/api/v1/connectors", params=params)
        conforms(document, "/api/v1/connectors", "get", refused)
        error(refused, 400)
    for params, field in (({"page": "0"}, "page"), ({"per_page": "101"}, "per_page"), ({"per_page": "0"}, "per_page"),
                          ({"page": "x"}, "page"), ({"page": "99999999999"}, "page")):
        assert field in error(api.get("/api/v1/connectors", params=params), 422)["errors"]
    assert api.get(f"/api/v1/connectors/{ids['Alpha']}", params={"include": "nope"}).status_code == 400


def test_the_api_key_as_the_seed_sends_it(gateway, keys):
    base = f"http://127.0.0.1:{gateway.served.http_port}"
    assert httpx.get(f"{base}/api/v1/connectors", headers={"Authorization": gateway.key}).status_code == 200
    assert httpx.get(f"{base}/api/v1/connectors",
                     headers={"Authorization": f"Bearer {gateway.key}"}).status_code == 200
    anonymous = httpx.get(f"{base}/api/v1/connectors")
    assert anonymous.status_code == 401 and anonymous.json() == {"message": "Unauthenticated."}
    assert httpx.get(f"{base}/api/v1/connectors", headers={"Authorization": "pb_wrong"}).status_code == 401
    viewer = keys.create("acme", ["view_instances"])
    refused = httpx.post(f"{base}/api/v1/connectors", headers={"Authorization": viewer}, json={})
    assert refused.status_code in (403, 422)  # refused either way; never written
    assert httpx.get(f"{base}/api/v1/connectors", headers={"Authorization": viewer}).status_code == 200
    assert httpx.patch(f"{base}/api/v1/connectors", headers={"Authorization": viewer}).json()["message"]
    assert httpx.get(f"{base}/api/v1/nothing", headers={"Authorization": viewer}).status_code == 404
