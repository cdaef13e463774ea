"""Issue 14, point 8 (and the HTTP side of point 7): the seeds' spellings accepted on input over a real
gateway, the seeds' minimums enforced, the key routes complete; the submission fields of seed 000 in
commercetools' dialect."""

from __future__ import annotations

import httpx
import pytest

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from tests.gateway.helpers import publish
from tests.gateway.test_gateway_http_commercetools import CREATOR, conforms


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.served.http_port}",
                      headers={"Authorization": f"Bearer {gateway.key}"}, timeout=10) as client:
        yield client


@pytest.fixture
def document(http):
    return http.get("/openapi.json").json()


def body(connector_id: str, unit: str) -> dict:
    return {"name": f"Shop {unit}", "connectorId": connector_id, "timezone": "Europe/London", "dateFormat": "Y-m-d",
            "rateLimitUnit": unit, "rateLimitDuration": 1,
            "variables": [{"key": "SHOP_DOMAIN", "value": "shop.example.com"},
                          {"key": "API_TOKEN", "value": "s3cr3t", "secret": True}]}


def test_rate_limit_unit_takes_the_seed_words_besides_the_enum_names(gateway, http, unique):
    """Seed 004 writes rate_limit_unit as "second", "minute", "hour", "day": accepted as well as the enum
    names; anything else is still a 400."""
    connector_id = publish(cgrpc.CatalogServiceStub(gateway.channel), f"units-{unique}")
    for unit, expected in (("second", "RATE_LIMIT_UNIT_SECOND"), ("minute", "RATE_LIMIT_UNIT_MINUTE"),
                           ("hour", "RATE_LIMIT_UNIT_HOUR"), ("day", "RATE_LIMIT_UNIT_DAY"),
                           ("RATE_LIMIT_UNIT_DAY", "RATE_LIMIT_UNIT_DAY")):
        created = http.post("/projects/acme/instances", json=body(connector_id, unit))
        assert created.status_code == 200, created.text
        assert created.json()["rateLimitUnit"] == expected
    for wrong in ("fortnight", "unspecified", "RATE_LIMIT_UNIT_UNSPECIFIED"):
        refused = http.post("/projects/acme/instances", json=body(connector_id, wrong))
        assert refused.status_code == 400, refused.text


def test_page_and_per_page_zero_are_refused_not_defaulted(http):
    """Seed 004's paging: page and per_page have a minimum of 1, so 0 is a 400 in the dialect's error
    shape (a google.rpc.Status naming the parameter), not the default page."""
    for params in ({"page": "0"}, {"per_page": "0"}, {"perPage": "0"}, {"page": "-1"}):
        refused = http.get("/projects/acme/instances", params=params)
        assert refused.status_code == 400, (params, refused.text)
        error = refused.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT"
        violations = next(d for d in error["details"] if d["@type"].endswith("BadRequest"))["fieldViolations"]
        assert [v["field"] for v in violations] == [next(iter(params))]
    assert http.get("/projects/acme/instances", params={"page": "1", "per_page": "1"}).status_code == 200


def test_delete_a_draft_by_key_as_the_other_key_routes_do(http, document, unique):
    """DELETE /connectors/drafts/key={key} deletes by key, with the version check of the id route."""
    created = http.post("/connectors/drafts", json={
        "key": f"bykey-{unique}", "name": "By key", "creator": CREATOR,
        "repository": {"url": "git@github.com:commercetools/connect-application-kit.git", "tag": "0.0.0"}})
    assert created.status_code == 201, created.text
    stale = http.delete(f"/connectors/drafts/key=bykey-{unique}", params={"version": 5})
    assert conforms(document, "/connectors/drafts/key={key}", "delete", stale)["statusCode"] == 409
    deleted = http.delete(f"/connectors/drafts/key=bykey-{unique}", params={"version": 1})
    assert conforms(document, "/connectors/drafts/key={key}", "delete", deleted)["key"] == f"bykey-{unique}"
    assert http.get(f"/connectors/drafts/key=bykey-{unique}").status_code == 404
    assert http.delete(f"/connectors/drafts/key=bykey-{unique}").status_code == 404


def test_the_submission_fields_in_commercetools_shape(http, document, unique):
    """Seed 000, step 3: "Screenshots or demo videos (if applicable)" and "Contact information for the
    developer or support team"; step 1, the declaration of intent: on the create body, by update actions
    written like the seed's, and in the ConnectorStaged answered."""
    created = http.post("/connectors/drafts", json={
        "key": f"media-{unique}", "name": "Media", "creator": CREATOR,
        "repository": {"url": "git@github.com:commercetools/connect-application-kit.git", "tag": "0.0.0"},
        "declarationOfIntent": "Sync orders with the ERP"})
    draft = conforms(document, "/connectors/drafts", "post", created)
    assert draft["declarationOfIntent"] == "Sync orders with the ERP" and "media" not in draft
    updated = http.post(f"/connectors/drafts/{draft['id']}", json={"version": draft["version"], "actions": [
        {"action": "setMedia", "media": [{"type": "screenshot", "url": "https://example.com/shot.png"},
                                         {"type": "demoVideo", "url": "https://example.com/demo",
                                          "title": "Demo"}]},
        {"action": "setSupportContact", "email": "support@example.com", "url": "https://example.com/help"},
        {"action": "setDeclarationOfIntent", "declarationOfIntent": "Orders and stock"}]})
    staged = conforms(document, "/connectors/drafts/{id}", "post", updated)
    assert staged["media"] == [{"type": "screenshot", "url": "https://example.com/shot.png"},
                               {"type": "demoVideo", "url": "https://example.com/demo", "title": "Demo"}]
    assert staged["supportContact"] == {"email": "support@example.com", "url": "https://example.com/help"}
    assert staged["declarationOfIntent"] == "Orders and stock"
    refused = http.post(f"/connectors/drafts/{draft['id']}", json={"version": staged["version"], "actions": [
        {"action": "setMedia", "media": [{"type": "screenshot", "url": "ftp://example.com/x"}]}]})
    assert refused.status_code == 400, refused.text
    assert "media[0].url" in refused.text

