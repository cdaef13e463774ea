"""The commercetools Connect dialect (seed 002) over a real gateway: representations, actions as
commercetools' SDK sends them, the search, and errors in commercetools' shape, each answer validated
against the served OpenAPI document's schema of its route."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import certification_service_pb2_grpc as certgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from tests.catalog.gitrepos import certify, publish_and_wait, shared_repo_url
from tests.gateway.test_gateway_http import SEED_CREATE, SEED_UPDATE

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CREATOR = {"title": "Mr", "name": "John Doe", "email": "john.doe@example.com", "company": "commercetools",
           "noOfContributors": 200}


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.served.http_port}",
                      headers={"Authorization": f"Bearer {gateway.key}"}, timeout=10) as client:
        yield client


@pytest.fixture
def document(http):
    return http.get("/openapi.json").json()


def conforms(document, path: str, verb: str, response: httpx.Response) -> dict:
    """The response's JSON, after checking it against the document's schema for this status."""
    responses = document["paths"][path][verb]["responses"]
    declared = responses.get(str(response.status_code)) or responses["default"]
    schema = {**declared["content"]["application/json"]["schema"], "components": document["components"]}
    body = response.json()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in OAS30Validator(schema).iter_errors(body)]
    assert not errors, (verb, path, response.status_code, errors[:5], body)
    return body


def ct_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and isinstance(body["message"], str) and body["message"]
    assert body["errors"][0]["code"] == code, body
    return body["errors"][0]


def draft(key: str, **extra) -> dict:
    return {"key": key, "name": "Shop sync", "creator": CREATOR,
            "repository": {"url": shared_repo_url(), "tag": "v1.0.0"}, **extra}


def test_the_seed_requests_answer_the_seed_representation(http, document):
    created = http.post("/connectors/drafts", content=SEED_CREATE, headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    body = conforms(document, "/connectors/drafts", "post", created)
    assert body == {
        "id": body["id"], "version": 1, "key": "connector-key", "name": "Connector's name",
        "description": "Connector's description", "integrationTypes": [], "creator": CREATOR,
        "repository": {"url": "git@github.com:commercetools/connect-application-kit.git", "tag": "0.0.0"},
        "configurations": [], "private": True, "privateProjects": [],
        "supportedRegions": ["us-central1.gcp", "europe-west1.gcp"], "status": "Draft",
        "publishingReport": None, "alreadyListed": False, "hasChanges": False, "isPreviewable": "none",
        "previewableReport": None, "certified": False,
    }
    assert body["id"] != "5ab3edcd-9d23-4934-8f48-256805253119"  # read-only fields of the body are ignored
    by_id = http.get(f"/connectors/drafts/{body['id']}")
    by_key = http.get("/connectors/drafts/key=connector-key")
    assert conforms(document, "/connectors/drafts/{id}", "get", by_id) == body
    assert conforms(document, "/connectors/drafts/key={key}", "get", by_key) == body
    query = http.get("/connectors/drafts", params={"limit": 5})
    page = conforms(document, "/connectors/drafts", "get", query)
    assert {k: page[k] for k in ("limit", "offset", "count", "total")} == {
        "limit": 5, "offset": 0, "count": 1, "total": 1}
    assert page["results"] == [body]

    updated = http.post("/connectors/drafts/key=connector-key", content=SEED_UPDATE)
    assert updated.status_code == 201
    assert conforms(document, "/connectors/drafts/key={key}", "post", updated)["name"] == "New Connector name"
    stale = http.post(f"/connectors/drafts/{body['id']}", content=SEED_UPDATE)
    conforms(document, "/connectors/drafts/{id}", "post", stale)
    error = ct_error(stale, 409, "ConcurrentModification")
    assert error["expectedVersion"] == 1 and error["currentVersion"] == 2


def test_every_sdk_action_as_the_sdk_sends_it(http, document):
    created = http.post("/connectors/drafts", json=draft("sdk-actions")).json()
    version = created["version"]
    actions = [
        {"action": "setName", "name": "Renamed"},
        {"action": "setDescription", "description": "Described"},
        {"action": "setRepository", "tag": "v1.0.0"},  # only a tag: the URL stays
        {"action": "setSupportedRegions", "regions": ["europe-west1.gcp"]},
        {"action": "setDocumentationUrl", "documentationUrl": "https://example.com/docs"},
        {"action": "setIntegrationTypes", "integrationTypes": ["psp", "other"]},
        {"action": "setCreatorName", "creatorName": "Jane Doe"},
        {"action": "setCreatorTitle", "creatorTitle": "Ms"},
        {"action": "setCreatorEmail", "creatorEmail": "jane@example.com"},
        {"action": "setCreatorCompany", "creatorCompany": "Globex"},
        {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 7},
        {"action": "setCreatorSupportUrl", "creatorSupportUrl": "https://example.com/support"},
        {"action": "setCreatorLogo", "logoUrl": "https://example.com/logo.png"},
        {"action": "addPrivateProject", "privateProject": "europe-west1.gcp:globex"},
    ]
    response = http.post(f"/connectors/drafts/{created['id']}", json={"version": version, "actions": actions})
    body = conforms(document, "/connectors/drafts/{id}", "post", response)
    assert response.status_code == 201 and body["version"] == version + 1
    assert body["repository"] == {"url": shared_repo_url(), "tag": "v1.0.0"}
    assert body["creator"] == {"name": "Jane Doe", "title": "Ms", "email": "jane@example.com", "company": "Globex",
                               "logoUrl": "https://example.com/logo.png", "noOfContributors": 7,
                               "supportUrl": "https://example.com/support"}
    assert (body["name"], body["description"], body["documentationUrl"]) == (
        "Renamed", "Described", "https://example.com/docs")
    assert body["integrationTypes"] == ["psp", "other"] and body["privateProjects"] == ["europe-west1.gcp:globex"]

    removed = http.post(f"/connectors/drafts/{created['id']}", json={"version": body["version"], "actions": [
        {"action": "removePrivateProject", "privateProject": "europe-west1.gcp:globex"}]})
    assert removed.status_code == 201 and removed.json()["privateProjects"] == []
    refused = http.post(f"/connectors/drafts/{created['id']}", json={"version": removed.json()["version"],
                                                                    "actions": [{"action": "unlist"}]})
    assert conforms(document, "/connectors/drafts/{id}", "post", refused)
    ct_error(refused, 400, "InvalidOperation")
    comment = http.post(f"/connectors/drafts/{created['id']}", json={"version": removed.json()["version"],
                        "actions": [{"action": "addCertificationComment", "comment": "hello"}]})
    ct_error(comment, 400, "InvalidOperation")
    preview = http.post(f"/connectors/drafts/{created['id']}", json={"version": removed.json()["version"],
                                                                    "actions": [{"action": "updatePreviewable"}]})
    assert preview.status_code == 201 and preview.json()["isPreviewable"] == "pending"
    again = http.post(f"/connectors/drafts/{created['id']}", json={"version": preview.json()["version"],
                                                                  "actions": [{"action": "updatePreviewable"}]})
    if again.status_code != 201:  # the first preview job may already have finished
        assert again.json()["errors"][0]["code"] in ("ConnectorStagedPreviewRequestUnderProcess",
                                                     "ConcurrentModification"), again.text


def test_a_published_connector_is_the_flat_connector_and_searchable(gateway, http, document, unique):
    catalog = cgrpc.CatalogServiceStub(gateway.channel)
    connector_id = http.post("/connectors/drafts", json=draft(f"flat-{unique}")).json()["id"]
    published = publish_and_wait(catalog, catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=connector_id)))
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED
    response = http.get(f"/connectors/{connector_id}")
    body = conforms(document, "/connectors/{id}", "get", response)
    assert body["id"] == connector_id and body["key"] == f"flat-{unique}" and body["version"] == 1
    assert body["private"] is True and body["certified"] is False and body["supportedRegions"] == []
    assert body["configurations"] == [{
        "applicationName": "shop-sync", "applicationType": "service",
        "standardConfiguration": [
            {"key": "SHOP_DOMAIN", "description": "Shop host", "required": True},
            {"key": "PAGE_SIZE", "description": "Page size", "default": "50", "required": False}],
        "securedConfiguration": [{"key": "API_TOKEN", "description": "API token", "required": True}]}]
    assert "latest" not in body and "lifecycleState" not in body
    assert conforms(document, "/connectors/key={key}", "get", http.get(f"/connectors/key=flat-{unique}")) == body

    staged = http.get(f"/connectors/drafts/{connector_id}").json()
    assert staged["status"] == "Published" and staged["alreadyListed"] is True
    entries = staged["publishingReport"]["entries"]
    assert entries and all(e["type"] in ("Information", "Warning", "Error") and TIME.match(e["createdAt"])
                           for e in entries)
    assert all(v not in ("", None) for e in entries for k, v in e.items()), entries  # no placeholders

    search = http.get("/connectors/search", params=[("key", f"flat-{unique}"), ("private", "true"),
                                                    ("text", "shop"), ("limit", "5"), ("sort", "name asc")])
    page = conforms(document, "/connectors/search", "get", search)
    assert page["total"] == 1 and page["results"] == [body] and page["limit"] == 5
    assert http.get("/connectors/search", params={"id": connector_id, "private": "false"}).json()["total"] == 0
    assert http.get("/connectors/search", params={"creator.company": "nobody"}).json()["total"] == 0
    bad = http.get("/connectors/search", params={"colour": "red"})
    conforms(document, "/connectors/search", "get", bad)
    assert "colour" in ct_error(bad, 400, "InvalidQueryParam")["detailedErrorMessage"]
    assert ct_error(http.get("/connectors/search", params={"limit": "many"}), 400, "InvalidQueryParam")


def test_errors_in_commercetools_shape(gateway, http, document, keys):
    created = http.post("/connectors/drafts", json=draft("ct-errors"))
    assert created.status_code == 201, created.text
    duplicate = http.post("/connectors/drafts", json=draft("ct-errors"))
    conforms(document, "/connectors/drafts", "post", duplicate)
    error = ct_error(duplicate, 400, "DuplicateField")
    assert error["field"] == "key" and error["duplicateValue"] == "ct-errors"
    missing = http.get("/connectors/drafts/no-such-draft")
    conforms(document, "/connectors/drafts/{id}", "get", missing)
    ct_error(missing, 404, "ResourceNotFound")
    ct_error(http.get("/connectors/key=no-such-connector"), 404, "ResourceNotFound")
    ct_error(http.get("/connectors/nowhere/at/all"), 404, "ResourceNotFound")

    not_json = http.post("/connectors/drafts", content="{not json")
    assert ct_error(not_json, 400, "InvalidJsonInput")["detailedErrorMessage"]
    no_email = http.post("/connectors/drafts", json=draft("no-email", creator={"name": "x"}))
    assert ct_error(no_email, 400, "InvalidJsonInput")["detailedErrorMessage"] == "creator.email: Missing required value"
    unknown = http.post(f"/connectors/drafts/{created.json()['id']}",
                        json={"version": 1, "actions": [{"action": "setColour", "colour": "red"}]})
    assert "setColour" in ct_error(unknown, 400, "InvalidJsonInput")["detailedErrorMessage"]
    wrong = http.post(f"/connectors/drafts/{created.json()['id']}", json={"version": 1, "actions": [
        {"action": "setCreatorLogo", "logoUrl": "ftp://example.com/logo"},
        {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 0}]})
    conforms(document, "/connectors/drafts/{id}", "post", wrong)
    assert wrong.status_code == 400
    assert {(e["code"], e["field"]) for e in wrong.json()["errors"]} == {
        ("InvalidInput", "actions[0].logoUrl"), ("InvalidInput", "actions[1].creatorNoOfContributors")}

    base = f"http://127.0.0.1:{gateway.served.http_port}"
    anonymous = httpx.get(f"{base}/connectors/drafts")
    assert ct_error(anonymous, 401, "invalid_token") and set(anonymous.json()) == {"statusCode", "message", "errors"}
    viewer = {"Authorization": f"Bearer {keys.create('acme', ['view_connectors'])}"}
    assert httpx.get(f"{base}/connectors/drafts", headers=viewer).status_code == 200
    refused = httpx.post(f"{base}/connectors/drafts", headers=viewer, json=draft("viewer"))
    assert ct_error(refused, 403, "insufficient_scope")["message"].startswith("the API key lacks the scope")
    not_allowed = httpx.patch(f"{base}/connectors/drafts", headers=viewer)
    assert not_allowed.status_code == 405 and not_allowed.json()["statusCode"] == 405


def test_a_public_draft_refuses_private_projects_with_the_seed_code(gateway, http, keys, unique):
    catalog = cgrpc.CatalogServiceStub(gateway.channel)
    # certified by a reviewer project's key: the creator's own key cannot (separation of duties)
    certification = certgrpc.CertificationServiceStub(keys.channel("reviewers", ["certify_connectors"]))
    created = http.post("/connectors/drafts", json=draft(f"public-{unique}", documentationUrl="https://example.com/d",
                                                         supportedRegions=["europe-west1.gcp"])).json()
    certify(catalog, certification, catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=created["id"])),
            reviewer="reviewers")
    current = http.get(f"/connectors/drafts/{created['id']}").json()
    assert current["private"] is False and current["certified"] is True and current["alreadyListed"] is True
    comments = current["certificationInfo"]["comments"]
    assert comments and all(TIME.match(c["datetime"]) and c["userId"] for c in comments)
    refused = http.post(f"/connectors/drafts/{created['id']}", json={"version": current["version"], "actions": [
        {"action": "addPrivateProject", "privateProject": "europe-west1.gcp:globex"}]})
    ct_error(refused, 400, "ConnectorStagedNotPrivate")
    unlisted = http.post(f"/connectors/drafts/{created['id']}", json={"version": current["version"],
                                                                     "actions": [{"action": "unlist"}]})
    assert unlisted.status_code == 201 and unlisted.json()["alreadyListed"] is False
    assert json.loads(http.get(f"/connectors/{created['id']}").text)["certified"] is True


def test_deleting_a_draft_answers_it_in_commercetools_shape(http, document):
    created = http.post("/connectors/drafts", json=draft("ct-delete")).json()
    stale = http.delete(f"/connectors/drafts/{created['id']}", params={"version": 5})
    conforms(document, "/connectors/drafts/{id}", "delete", stale)
    assert ct_error(stale, 409, "ConcurrentModification")["currentVersion"] == 1
    deleted = http.delete(f"/connectors/drafts/{created['id']}", params={"version": 1})
    assert deleted.status_code == 200
    assert conforms(document, "/connectors/drafts/{id}", "delete", deleted)["id"] == created["id"]
    ct_error(http.get(f"/connectors/drafts/{created['id']}"), 404, "ResourceNotFound")
