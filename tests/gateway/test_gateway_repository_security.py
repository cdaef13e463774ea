"""Repository credentials and separation of duties through the gateway (gRPC and HTTP), against the real
catalog: the commercetools routes refuse a repository URL with credentials and take them with
``setRepositoryCredentials`` (answered as a type and a fingerprint); certification is for the reviewer
projects' keys, with the key's project as the reviewer, never on the project's own connector."""

from __future__ import annotations

import grpc
import httpx
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import certification_service_pb2 as certpb
from plugboard.catalog.v1 import certification_service_pb2_grpc as certgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from tests.catalog.gitrepos import publish_and_wait, shared_repo_url
from tests.rich import expect_error

TOKEN = "glpat-gatewayCanary0123456789"
CREATOR = {"name": "Jane", "email": "jane@example.com"}


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.served.http_port}",
                      headers={"Authorization": f"Bearer {gateway.key}"}, timeout=10) as client:
        yield client


def draft(key: str, url: str | None = None, **extra) -> dict:
    return {"key": key, "name": "Shop sync", "creator": CREATOR,
            "repository": {"url": url or shared_repo_url(), "tag": "v1.0.0"}, **extra}


@pytest.mark.parametrize("url", [f"https://deploy:{TOKEN}@github.com/acme/x.git",
                                 f"https://{TOKEN}@github.com/acme/x.git",
                                 f"ssh://git:{TOKEN}@github.com/acme/x.git"])
def test_the_commercetools_routes_refuse_a_url_with_credentials(http, unique, url):
    refused = http.post("/connectors/drafts", json=draft(f"ct-cred-{unique}", url))
    assert refused.status_code == 400 and TOKEN not in refused.text
    assert [(e["code"], e["field"]) for e in refused.json()["errors"]] == [("InvalidInput", "repository.url")]
    created = http.post("/connectors/drafts", json=draft(f"ct-cred-{unique}"))
    assert created.status_code == 201
    refused = http.post(f"/connectors/drafts/{created.json()['id']}", json={"version": 1, "actions": [
        {"action": "setRepository", "url": url, "tag": "v2"}]})
    assert refused.status_code == 400 and TOKEN not in refused.text
    assert [(e["code"], e["field"]) for e in refused.json()["errors"]] == [("InvalidInput", "actions[0].url")]


def test_set_repository_credentials_over_http_answers_a_fingerprint_only(http, unique):
    created = http.post("/connectors/drafts", json=draft(f"ct-setcred-{unique}")).json()
    assert "repositoryCredentials" not in created
    updated = http.post(f"/connectors/drafts/{created['id']}", json={"version": 1, "actions": [
        {"action": "setRepositoryCredentials", "https": {"username": "deploy", "token": TOKEN}}]})
    assert updated.status_code == 201, updated.text
    shown = updated.json()["repositoryCredentials"]
    assert shown["type"] == "httpsToken" and len(shown["fingerprint"]) == 8 and set(shown) == {"type", "fingerprint"}
    for answer in (updated, http.get(f"/connectors/drafts/{created['id']}"), http.get("/connectors/drafts"),
                   http.get(f"/connectors/drafts/key=ct-setcred-{unique}")):
        assert answer.status_code == 200 or answer.status_code == 201
        assert TOKEN not in answer.text
    bad = http.post(f"/connectors/drafts/{created['id']}", json={"version": 2, "actions": [
        {"action": "setRepositoryCredentials", "ssh": {"privateKey": TOKEN}}]})
    assert bad.status_code == 400 and TOKEN not in bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["actions[0].ssh.privateKey"]
    removed = http.post(f"/connectors/drafts/{created['id']}", json={"version": 2, "actions": [
        {"action": "setRepositoryCredentials"}]})
    assert removed.status_code == 201 and "repositoryCredentials" not in removed.json()


def test_certification_is_for_reviewer_projects_never_on_their_own_connectors(gateway, keys, unique, http):
    catalog = cgrpc.CatalogServiceStub(gateway.channel)  # project acme, every scope
    created = http.post("/connectors/drafts", json=draft(f"sod-{unique}", documentationUrl="https://example.com/d",
                                                         supportedRegions=["europe-west1.gcp"])).json()
    ready = publish_and_wait(catalog, catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=created["id"])),
                             certification=True)
    # the creator's own key has every scope, certify_connectors included: still not a reviewer
    own = certgrpc.CertificationServiceStub(gateway.channel)
    for call in (lambda: own.ListCertificationQueue(certpb.ListCertificationQueueRequest()),
                 lambda: own.StartCertificationReview(certpb.StartCertificationReviewRequest(
                     id=ready.id, version=ready.version))):
        error = expect_error(grpc.StatusCode.PERMISSION_DENIED, call, reason="NOT_A_REVIEWER_PROJECT")
        assert error.metadata == {"project": "acme"}
    own_http = http.get("/certification/queue")
    assert own_http.status_code == 403 and "NOT_A_REVIEWER_PROJECT" in own_http.text
    # a key cannot name another project as the reviewer
    reviewer_key = keys.create("reviewers", ["certify_connectors"])
    reviewer = certgrpc.CertificationServiceStub(keys.channel(key=reviewer_key))
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: reviewer.StartCertificationReview(
        certpb.StartCertificationReviewRequest(id=ready.id, version=ready.version, reviewer="rev-1")),
        reason="PROJECT_MISMATCH")
    # the reviewer project's key: the queue (over HTTP too) and the review, recorded under its project
    queue = reviewer.ListCertificationQueue(certpb.ListCertificationQueueRequest(limit=500))
    assert ready.id in [d.id for d in queue.results]
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.served.http_port}",
                      headers={"Authorization": f"Bearer {reviewer_key}"}, timeout=10) as as_reviewer:
        listed = as_reviewer.get("/certification/queue", params={"limit": 500})
        assert listed.status_code == 200 and ready.id in [d["id"] for d in listed.json()["results"]]
        started = as_reviewer.post(f"/certification/drafts/{ready.id}:start", json={"version": str(ready.version)})
        assert started.status_code == 200, started.text
        approved = as_reviewer.post(f"/certification/drafts/{ready.id}:approve", json={
            "version": started.json()["version"], "comment": "ok"})
        assert approved.status_code == 200, approved.text
    assert approved.json()["certified"] is True
    assert approved.json()["certificationInfo"]["comments"][-1]["userId"] == "reviewers"
    # a draft of the reviewer project itself: its own key cannot review it
    mine = cgrpc.CatalogServiceStub(keys.channel("reviewers"))
    own_draft = mine.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(draft=spb.ConnectorStagedDraft(
        key=f"rev-own-{unique}", name="Own", repository=spb.Repository(url=shared_repo_url(), tag="v1.0.0"),
        documentation_url="https://example.com/d", creator=spb.Creator(email="r@example.com"),
        supported_regions=["europe-west1.gcp"])))
    submitted = publish_and_wait(mine, own_draft, certification=True, project="reviewers")
    assert submitted.status == spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: reviewer.StartCertificationReview(
        certpb.StartCertificationReviewRequest(id=submitted.id, version=submitted.version)),
        reason="REVIEWER_IS_CREATOR")
    assert submitted.id not in [d.id for d in reviewer.ListCertificationQueue(
        certpb.ListCertificationQueueRequest(limit=500)).results]
