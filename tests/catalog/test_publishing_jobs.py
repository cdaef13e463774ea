"""Publishing and preview jobs end to end: real git repositories, a real catalog server, the watch stream.

The lead's test_source*.py test reading a repository; these test the job path around it: the request
returns Processing (or pending), the worker writes the report and the outcome, and the draft's rules
hold while a job waits.
"""

from __future__ import annotations


import grpc
import pytest

from catalog_service.server import create_server
from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from tests.catalog.conftest import POLL_SECONDS
from tests.catalog.gitrepos import GOOD_SPEC, make_repo, publish_and_wait, wait_for
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.harness import start_server
from tests.rich import expect_error
from bench.procs import free_port as closed_port

ERROR = spb.CONNECTOR_REPORT_ENTRY_TYPE_ERROR


def errors(draft: spb.ConnectorStaged, report: str = "publishing_report") -> list[tuple[str, str]]:
    return [(e.title, e.message) for e in getattr(draft, report).entries if e.type == ERROR]


@pytest.mark.parametrize("case", ["no_connect_yaml", "invalid_yaml", "unknown_tag", "unreachable_file",
                                  "unreachable_https", "invalid_spec"])
def test_a_failing_repository_leaves_the_draft_failed_with_its_report(catalog, unique, tmp_path, case):
    tag = "v1.0.0"
    if case == "no_connect_yaml":
        url = make_repo(tmp_path / "r", {"other.yaml": "a: 1\n"})
        expected = ("Connector specification file not found", "connect.yaml")
    elif case == "invalid_yaml":
        url = make_repo(tmp_path / "r", {"connect.yaml": "deployAs: [\n  - name: x\n"})
        expected = ("Connector specification file not valid", "connect.yaml")
    elif case == "invalid_spec":
        url = make_repo(tmp_path / "r", {"connect.yaml": GOOD_SPEC.replace("applicationType: service",
                                                                            "applicationType: spaceship")})
        expected = ("Connector specification file not valid", "deployAs.0.applicationType")
    elif case == "unknown_tag":
        url, tag = make_repo(tmp_path / "r", {"connect.yaml": GOOD_SPEC}), "v9.9.9"
        expected = ("Git tag not found", "v9.9.9")
    elif case == "unreachable_file":
        url = (tmp_path / "missing").as_uri()
        expected = ("Git repository not reachable", "missing")
    else:
        url = f"https://127.0.0.1:{closed_port()}/acme/connector.git"
        expected = ("Git repository not reachable", "127.0.0.1")
    draft = create(catalog, f"bad-{unique}", repository=spb.Repository(url=url, tag=tag))
    failed = publish_and_wait(catalog, draft)
    assert failed.status == spb.CONNECTOR_STATUS_FAILED
    assert not failed.already_listed and failed.published_version == 0
    found = errors(failed)
    assert any(title == expected[0] and expected[1] in message for title, message in found), found
    assert all(e.HasField("create_time") for e in failed.publishing_report.entries)
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnector(pb.GetConnectorRequest(id=draft.id)))
    # a failed draft is edited and published again
    fixed = update(catalog, failed, Action(set_repository=Action.SetRepository(
        url=make_repo(tmp_path / "fixed", {"connect.yaml": GOOD_SPEC}), tag="v1.0.0")))
    assert fixed.status == spb.CONNECTOR_STATUS_DRAFT
    assert publish_and_wait(catalog, fixed).status == spb.CONNECTOR_STATUS_PUBLISHED


def test_a_failing_preview_is_not_previewable_with_its_report(catalog, unique, tmp_path):
    url = make_repo(tmp_path / "r", {"other.yaml": "a: 1\n"})
    draft = create(catalog, f"badprev-{unique}", repository=spb.Repository(url=url, tag="v1.0.0"))
    update(catalog, draft, Action(update_previewable=Action.UpdatePreviewable()))
    done = wait_for(catalog, draft.id, lambda d: d.is_previewable != spb.IS_PREVIEWABLE_PENDING)
    assert done.is_previewable == spb.IS_PREVIEWABLE_FALSE
    assert ("Connector specification file not found" in [t for t, _ in errors(done, "previewable_report")])
    assert done.status == spb.CONNECTOR_STATUS_DRAFT and not done.HasField("publishing_report")


@pytest.fixture
def idle_catalog(catalog_settings):
    """A catalog process that runs no jobs (catalog_job_workers=0): requested jobs stay pending."""
    settings = catalog_settings.with_overrides(catalog_job_workers=0)
    server = start_server(lambda: create_server(settings, port=0, poll_seconds=POLL_SECONDS))
    yield cgrpc.CatalogServiceStub(server.channel)
    server.stop()


def test_while_a_publish_is_processing_the_draft_refuses_edits(idle_catalog, unique, repo_url):
    catalog = idle_catalog
    draft = create(catalog, f"busy-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    processing = update(catalog, draft, Action(publish=Action.Publish(certification=False)))
    assert processing.status == spb.CONNECTOR_STATUS_PROCESSING and processing.version == 2
    assert len(processing.publishing_report.entries) == 0
    for action, reason in [
        (Action(set_name=Action.SetName(name="x")), "CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS"),
        (Action(add_private_project=Action.AddPrivateProject(private_project="eu.gcp:p-1")),
         "CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS"),
        (Action(publish=Action.Publish(certification=True)), "CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS"),
        (Action(update_previewable=Action.UpdatePreviewable()), "CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS"),
    ]:
        expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(catalog, processing, action), reason=reason)
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.DeleteConnectorStaged(
        pb.DeleteConnectorStagedRequest(id=draft.id)), reason="CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS")
    stored = catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id))
    assert stored.version == 2 and stored.status == spb.CONNECTOR_STATUS_PROCESSING


def test_while_a_preview_is_pending_publish_is_refused_but_edits_are_not(idle_catalog, unique, repo_url):
    catalog = idle_catalog
    draft = create(catalog, f"pend-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    pending = update(catalog, draft, Action(update_previewable=Action.UpdatePreviewable()))
    assert pending.is_previewable == spb.IS_PREVIEWABLE_PENDING
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        catalog, pending, Action(update_previewable=Action.UpdatePreviewable())),
        reason="CONNECTOR_STAGED_PREVIEW_REQUEST_UNDER_PROCESS")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        catalog, pending, Action(publish=Action.Publish(certification=False))),
        reason="CONNECTOR_STAGED_PREVIEW_REQUEST_UNDER_PROCESS")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.DeleteConnectorStaged(
        pb.DeleteConnectorStagedRequest(id=draft.id)), reason="CONNECTOR_STAGED_PREVIEW_REQUEST_UNDER_PROCESS")
    renamed = update(catalog, pending, Action(set_name=Action.SetName(name="Renamed")))
    assert renamed.name == "Renamed" and renamed.is_previewable == spb.IS_PREVIEWABLE_PENDING


def test_publish_and_edit_in_one_request_keep_their_order(catalog, unique, repo_url):
    draft = create(catalog, f"order-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        catalog, draft, Action(publish=Action.Publish()), Action(set_name=Action.SetName(name="late"))),
        reason="CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS")
    assert catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id)).version == 1  # all or none
    processing = update(catalog, draft, Action(set_name=Action.SetName(name="early")), Action(publish=Action.Publish()))
    assert processing.version == 2 and processing.status == spb.CONNECTOR_STATUS_PROCESSING
    published = wait_for(catalog, draft.id, lambda d: d.status == spb.CONNECTOR_STATUS_PUBLISHED)
    assert catalog.GetConnector(pb.GetConnectorRequest(id=draft.id)).latest.name == "early"
    assert published.version == 3
