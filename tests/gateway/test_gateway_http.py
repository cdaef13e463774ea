"""The HTTP/JSON facade over a real gateway: seed 002's request examples sent verbatim (answered in
commercetools' dialect), instances under /projects/{project}/instances and the watch stream (native
dialect), errors as JSON with matching statuses in each route's dialect, and the OpenAPI document,
validated."""

from __future__ import annotations

import json

import httpx
import pytest
from openapi_spec_validator import validate

from gateway.routes import RULES
from tests.catalog.gitrepos import shared_repo_url
from tests.gateway.helpers import publish
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc

# Seed 002, "Create ConnectorStaged", request body as written.
SEED_CREATE = """{
"id" : "5ab3edcd-9d23-4934-8f48-256805253119",
"key" : "connector-key",
"version" : 1,
"name" : "Connector's name",
"description" : "Connector's description",
"creator" : {
"title" : "Mr",
"name" : "John Doe",
"email" : "john.doe@example.com",
"company" : "commercetools",
"noOfContributors" : 200
},
"repository" : {
"url" : "git@github.com:commercetools/connect-application-kit.git",
"tag" : "0.0.0"
},
"privateProjects" : [ ],
"private" : false,
"hasChanges" : true,
"alreadyListed" : true,
"isPreviewable" : "true",
"status" : "Draft",
"publishingReport" : null,
"previewableReport" : {
"entries" : [ {
"title" : "Image security analysis check succeeded",
"type" : "Information",
"message" : null,
"createdAt" : "2024-02-15T10:12:12.069Z",
"application" : null
}, {
"title" : "SAST and SCA analysis check succeeded",
"type" : "Information",
"message" : null,
"createdAt" : "2024-02-15T10:12:12.072Z",
"application" : null
}, {
"title" : "Connector specification file validation check succeeded",
"type" : "Information",
"message" : null,
"createdAt" : "2024-02-15T10:12:12.073Z",
"application" : null
} ]
},
"supportedRegions" : [ "us-central1.gcp", "europe-west1.gcp" ]
}"""
# Seed 002, "Update ConnectorStaged" (by id and by key), request body as written.
SEED_UPDATE = """{
"version" : 1,
"actions" : [ {
"action" : "setName",
"name" : "New Connector name"
} ]
}"""
# Seed 002's update action examples, as written (each applied on its own).
SEED_ACTIONS = [
    '{"action": "setName", "name": "The new name of the Connector"}',
    '{"action": "setDescription", "description": "New description of the Connector."}',
    '{"action": "setRepository", "url": "git@github.com:commercetools/connect-application-kit.git", "tag": "0.0.0"}',
    '{"action": "setSupportedRegions", "regions": ["europe-west1.gcp", "us-central1.gcp", "australia-southeast1.gcp"]}',
    '{"action": "setDocumentationUrl", "documentationUrl": "https://www.example.com/my-connector/documentation"}',
    '{"action": "setIntegrationTypes", "integrationTypes": ["promotion", "other"]}',
    '{"action": "setCreatorName", "creatorName": "Jane Doe"}',
    '{"action": "setCreatorTitle", "creatorTitle": "Ms"}',
    '{"action": "setCreatorEmail", "creatorEmail": "new-email-address@example.com"}',
    '{"action": "setCreatorCompany", "creatorCompany": "New name of company"}',
    '{"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 123}',
    '{"action": "setCreatorSupportUrl", "creatorSupportUrl": "https://www.example.com/support"}',
    '{"action": "addPrivateProject", "privateProject": "europe-west1.gcp:example-project-key"}',
    '{"action": "removePrivateProject", "privateProject": "europe-west1.gcp:example-project-key"}',
    '{"action": "updatePreviewable"}',
    '{"action": "unlist"}',
    '{"action": "addCertificationComment", "comment": "The comment to add."}',
    '{"action": "publish", "certification": false}',
]


@pytest.fixture
def http(gateway):
    """An HTTP client of the facade with the acme key (every scope)."""
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.served.http_port}",
                      headers={"Authorization": f"Bearer {gateway.key}"}, timeout=10) as client:
        yield client


def reason(response: httpx.Response) -> str:
    """The ErrorInfo reason of a native error."""
    details = response.json()["error"]["details"]
    return next(d["reason"] for d in details if d["@type"].endswith("ErrorInfo"))


def code(response: httpx.Response) -> str:
    """The first error code of a commercetools error (its statusCode the HTTP status)."""
    body = response.json()
    assert body["statusCode"] == response.status_code, body
    return body["errors"][0]["code"]


CREATOR = {"name": "John Doe", "email": "john.doe@example.com"}


def test_seed_requests_verbatim(http):
    headers = {"Content-Type": "application/json"}
    created = http.post("/connectors/drafts", content=SEED_CREATE, headers=headers)
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["key"] == "connector-key" and draft["name"] == "Connector's name"
    assert draft["creator"]["noOfContributors"] == 200 and draft["version"] == 1
    assert draft["supportedRegions"] == ["us-central1.gcp", "europe-west1.gcp"]
    assert draft["id"] != "5ab3edcd-9d23-4934-8f48-256805253119"  # output-only fields are ignored
    assert draft["private"] is True and draft["status"] == "Draft" and draft["publishingReport"] is None

    by_id = http.get(f"/connectors/drafts/{draft['id']}")
    by_key = http.get("/connectors/drafts/key=connector-key")
    assert by_id.status_code == by_key.status_code == 200 and by_id.json() == by_key.json() == draft
    query = http.get("/connectors/drafts")
    assert query.status_code == 200 and [d["id"] for d in query.json()["results"]] == [draft["id"]]
    assert query.json()["total"] == 1 and query.json()["limit"] == 20

    updated = http.post("/connectors/drafts/key=connector-key", content=SEED_UPDATE, headers=headers)
    assert updated.status_code == 201, updated.text
    assert updated.json()["name"] == "New Connector name" and updated.json()["version"] == 2
    stale = http.post(f"/connectors/drafts/{draft['id']}", content=SEED_UPDATE, headers=headers)
    assert stale.status_code == 409 and code(stale) == "ConcurrentModification"
    assert stale.json()["errors"][0]["currentVersion"] == 2


def test_every_seed_update_action_is_accepted_as_written(http):
    created = http.post("/connectors/drafts", json={
        "key": "actions", "name": "Actions", "creator": CREATOR,
        "repository": {"url": shared_repo_url(), "tag": "v1.0.0"}})
    assert created.status_code == 201, created.text
    draft_id, version = created.json()["id"], created.json()["version"]
    outcomes = {}
    for text in SEED_ACTIONS:
        name = json.loads(text)["action"]
        for _ in range(5):
            body = json.dumps({"version": version, "actions": [json.loads(text)]})
            response = http.post(f"/connectors/drafts/{draft_id}", content=body)
            if response.status_code != 409 or code(response) != "ConcurrentModification":
                break
            # A preview job finishing bumps the version between two requests: read it again, as a
            # client does, and resend.
            version = http.get(f"/connectors/drafts/{draft_id}").json()["version"]
        if response.status_code == 201:
            version = response.json()["version"]
            outcomes[name] = "applied"
        else:  # understood, and refused by the catalog for the draft's state: never a parse error
            assert response.status_code in (400, 409), response.text
            assert code(response) not in ("InvalidJsonInput", "InvalidInput"), response.text
            outcomes[name] = code(response)
    assert outcomes["setName"] == outcomes["setCreatorNoOfContributors"] == "applied"
    assert outcomes["publish"] in ("applied", "ConnectorStagedPreviewRequestUnderProcess")
    assert outcomes["unlist"] == "InvalidOperation"
    final = http.get(f"/connectors/drafts/{draft_id}").json()
    assert final["creator"]["name"] == "Jane Doe" and final["documentationUrl"].endswith("/documentation")

    unknown = http.post(f"/connectors/drafts/{draft_id}",
                        json={"version": version, "actions": [{"action": "setColour", "colour": "red"}]})
    assert unknown.status_code == 400 and code(unknown) == "InvalidJsonInput"
    assert unknown.json()["errors"][0]["detailedErrorMessage"].startswith("actions[0].action: Unknown value")


def test_query_parameters_of_the_seed(http):
    http.post("/connectors/drafts", json={"key": "q-one", "name": "One", "integrationTypes": ["other"],
                                          "creator": CREATOR,
                                          "repository": {"url": shared_repo_url(), "tag": "v1.0.0"}})
    found = http.get("/connectors/drafts", params=[("limit", "5"), ("offset", "0"), ("sort", "key asc"),
                                                    ("isPrivate", "true"), ("integrationTypes", "other")])
    assert found.status_code == 200, found.text
    assert [d["key"] for d in found.json()["results"]] == ["q-one"] and found.json()["limit"] == 5
    bad = http.get("/connectors/drafts", params={"limit": "many"})
    assert bad.status_code == 400 and code(bad) == "InvalidQueryParam"
    unknown = http.get("/connectors/drafts", params={"colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.json()["errors"][0]["detailedErrorMessage"]


def test_instances_live_under_their_project(gateway, http, keys):
    catalog = cgrpc.CatalogServiceStub(gateway.channel)
    connector_id = publish(catalog, "http-instances")
    body = {"name": "Shop EU", "connectorId": connector_id, "timezone": "Europe/London", "dateFormat": "Y-m-d",
            "rateLimitUnit": "RATE_LIMIT_UNIT_MINUTE", "rateLimitDuration": 1,
            "variables": [{"key": "SHOP_DOMAIN", "value": "shop.example.com"},
                          {"key": "API_TOKEN", "value": "s3cr3t", "secret": True}]}
    created = http.post("/projects/acme/instances", json=body)
    assert created.status_code == 200, created.text
    instance = created.json()
    assert "s3cr3t" not in created.text and instance["project"] == "acme"
    got = http.get(f"/projects/acme/instances/{instance['id']}")
    assert got.status_code == 200 and got.json()["name"] == "Shop EU"
    listed = http.get("/projects/acme/instances", params={"per_page": "10"})
    assert [i["id"] for i in listed.json()["instances"]] == [instance["id"]]
    renamed = http.put(f"/projects/acme/instances/{instance['id']}",
                       json={"version": instance["version"], "name": "Shop EU 2"}, params={"updateMask": "name"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Shop EU 2"

    # Another project's path: as if the instance did not exist; lists refused.
    foreign = http.get(f"/projects/globex/instances/{instance['id']}")
    assert foreign.status_code == 404 and reason(foreign) == "INSTANCE_NOT_FOUND"
    assert http.get("/projects/globex/instances").status_code == 403

    # Delete refused while the instance exists: 400 FAILED_PRECONDITION with the PreconditionFailure.
    dry = http.delete(f"/connectors/{connector_id}", params={"dryRun": "true"})
    assert dry.status_code == 200 and dry.json()["referencingInstanceCount"] == "1"
    refused = http.delete(f"/connectors/{connector_id}")
    assert refused.status_code == 400 and reason(refused) == "CONNECTOR_HAS_INSTANCES"
    failure = next(d for d in refused.json()["error"]["details"] if d["@type"].endswith("PreconditionFailure"))
    assert failure["violations"][0]["subject"] == f"projects/acme/instances/{instance['id']}"
    assert http.delete(f"/projects/acme/instances/{instance['id']}").status_code == 200
    deleted = http.delete(f"/connectors/{connector_id}")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert http.get(f"/connectors/{connector_id}").status_code == 404


def test_auth_and_routing_errors_are_json(gateway, keys):
    base = f"http://127.0.0.1:{gateway.served.http_port}"
    anonymous = httpx.get(f"{base}/connectors/search")
    assert anonymous.status_code == 401 and code(anonymous) == "invalid_token"
    anonymous = httpx.get(f"{base}/certification/queue")
    assert anonymous.status_code == 401 and reason(anonymous) == "API_KEY_MISSING"
    viewer = {"X-API-Key": keys.create("acme", ["view_connectors"])}
    assert httpx.get(f"{base}/connectors/search", headers=viewer).status_code == 200
    refused = httpx.post(f"{base}/connectors/drafts", headers=viewer, json={
        "key": "nope", "name": "Nope", "creator": CREATOR, "repository": {"url": shared_repo_url(), "tag": "v1"}})
    assert refused.status_code == 403 and code(refused) == "insufficient_scope"
    refused = httpx.post(f"{base}/projects/acme/instances", headers=viewer, json={})
    assert refused.status_code == 403 and reason(refused) == "MISSING_SCOPE"
    missing = httpx.get(f"{base}/nowhere", headers=viewer)
    assert missing.status_code == 404 and reason(missing) == "ROUTE_NOT_FOUND"
    assert httpx.patch(f"{base}/connectors/search", headers=viewer).status_code == 405
    malformed = httpx.post(f"{base}/connectors/drafts", headers={"Authorization": f"Bearer {gateway.key}"},
                           content="{not json")
    assert malformed.status_code == 400 and code(malformed) == "InvalidJsonInput"
    malformed = httpx.post(f"{base}/projects/acme/instances", headers={"Authorization": f"Bearer {gateway.key}"},
                           content="{not json")
    assert malformed.status_code == 400 and malformed.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_watch_streams_json_lines(http, gateway):
    created = http.post("/connectors/drafts", json={
        "key": "watched", "name": "Watched", "creator": CREATOR,
        "repository": {"url": shared_repo_url(), "tag": "v1.0.0"}}).json()
    with http.stream("GET", f"/connectors/drafts/{created['id']}:watch") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        first = json.loads(next(response.iter_lines()))
    assert first["connectorStaged"]["id"] == created["id"]
    assert http.get("/connectors/drafts/missing:watch").status_code == 404


def test_the_openapi_document_is_valid_and_covers_every_route(gateway):
    response = httpx.get(f"http://127.0.0.1:{gateway.served.http_port}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    public = {f"{r.method.containing_service.name}_{r.method.name}" for r in RULES.values() if not r.internal}
    patchworks = {f"InstanceService_{name}_patchworks" for name in (
        "ListInstances", "CreateInstance", "GetInstance", "UpdateInstance", "DeleteInstance", "TestInstanceConnection")}
    assert operations == public | patchworks
    dialects = {(path, verb): op["x-dialect"] for path, item in document["paths"].items() for verb, op in item.items()}
    assert dialects[("/connectors/drafts", "post")] == dialects[("/connectors/search", "get")] == "commercetools"
    assert dialects[("/api/v1/connectors", "get")] == "patchworks"
    assert dialects[("/connectors/drafts/{id}:watch", "get")] == dialects[("/certification/queue", "get")] == "native"
    assert "/connectors/drafts/key={key}" in document["paths"]
    assert "/projects/{project}/instances/{id}" in document["paths"]
    update = document["paths"]["/connectors/drafts/{id}"]["post"]
    assert update["x-required-scope"] == "manage_connectors" and "201" in update["responses"]


def test_a_grpc_timeout_header_sets_the_calls_deadline(double_gateway, record):
    """Grpc-Timeout (grpc-gateway's header, gRPC's format) becomes the backend call's deadline: a backend
    that waits until it is cancelled makes the call end 504 DEADLINE_EXCEEDED and is cancelled; bad values
    are 400."""
    base = f"http://127.0.0.1:{double_gateway.served.http_port}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {double_gateway.key}"},
                      timeout=30) as http:
        assert http.get("/connectors/c1", headers={"Grpc-Timeout": "5S"}).status_code == 200
        _, _, remaining = record.last()
        assert remaining is not None and remaining <= 5.1  # the header's, not the default 7 s
        expired = http.get("/connectors/slow", headers={"Grpc-Timeout": "200m"})
        assert expired.status_code == 504, expired.text
        assert expired.json()["statusCode"] == 504, expired.text  # GET /connectors/{id} speaks commercetools
        assert record.cancelled.wait(5.0), "the backend call outlived the header's deadline"
        for bad in ("soon", "5", "123456789S", "0S", "-1S"):
            refused = http.get("/connectors/c1", headers={"Grpc-Timeout": bad})
            assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "Grpc-Timeout", refused.text
