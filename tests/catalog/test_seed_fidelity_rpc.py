"""Issue 14 on the catalog, over a real gRPC channel: one visibility rule for the marketplace and
GetConnector, existing uses keep resolving their versions, certification dropped visibly, the submission
seed 000 asks for, and previews that can be used."""

from __future__ import annotations

from datetime import datetime, timezone

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import certification_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from tests.catalog.gitrepos import certify, publish_and_wait, wait_for
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.rich import expect_error, fields

WARNING = spb.CONNECTOR_REPORT_ENTRY_TYPE_WARNING
PROJECTS = ("", "acme", "globex", "eu.gcp:globex", "us.gcp:globex", "initech", "eu.gcp:initech")


def usable(catalog, connector_id: str, project: str, version: int = 0, **flags) -> pb.CheckConnectorUsableResponse:
    return catalog.CheckConnectorUsable(pb.CheckConnectorUsableRequest(
        id=connector_id, project=project, version=version, **flags))


@pytest.fixture
def connectors(catalog, certification, unique, repo_url):
    """Public listed; public unlisted that kept privateProjects from before certification; private shared
    with eu.gcp:globex; private shared with nobody."""
    repo = spb.Repository(url=repo_url, tag="v1.0.0")
    docs = "https://example.com/docs"
    listed = create(catalog, f"vis-listed-{unique}", repository=repo, documentation_url=docs)
    certify(catalog, certification, listed)
    unlisted = create(catalog, f"vis-unlisted-{unique}", repository=repo, documentation_url=docs,
                      private_projects=["eu.gcp:globex"])
    update(catalog, certify(catalog, certification, unlisted), Action(unlist=Action.Unlist()))
    shared = create(catalog, f"vis-shared-{unique}", repository=repo, private_projects=["eu.gcp:globex"])
    publish_and_wait(catalog, shared)
    alone = create(catalog, f"vis-alone-{unique}", repository=repo)
    publish_and_wait(catalog, alone)
    return {"listed": listed.id, "unlisted": unlisted.id, "shared": shared.id, "alone": alone.id}


def test_one_visibility_rule_answers_the_marketplace_and_get_connector(catalog, connectors):
    """Issue 14: "a privateProjects member sees the connector in ListConnectors but gets 404 from
    GetConnector"; the one rule (catalog_service.domain.model.visible) answers both, for every project
    spelling ("<region>:<key>" and "<key>" name one project)."""
    expected = {
        "": {"listed", "unlisted", "shared", "alone"},
        "acme": {"listed", "unlisted", "shared", "alone"},  # the creator
        "globex": {"listed", "shared"}, "eu.gcp:globex": {"listed", "shared"}, "us.gcp:globex": {"listed", "shared"},
        "initech": {"listed"}, "eu.gcp:initech": {"listed"},
    }
    for project in PROJECTS:
        listed = {c.id for c in catalog.ListConnectors(pb.ListConnectorsRequest(project=project, limit=500)).results}
        seen = set()
        for name, connector_id in connectors.items():
            try:
                catalog.GetConnector(pb.GetConnectorRequest(id=connector_id, project=project))
            except grpc.RpcError as exc:
                assert exc.code() == grpc.StatusCode.NOT_FOUND
                assert connector_id not in listed, (project, name, "listed but not found")
            else:
                seen.add(name)
                assert connector_id in listed or project == "", (project, name, "found but not listed")
        assert seen == expected[project], project


def test_an_existing_use_keeps_resolving_after_unlist_and_private_republish(catalog, certification, unique, repo_url):
    """Seed 002, Unlist: "This update action does not affect deployed instances of the Connector". Visibility
    decides who can find and newly use a connector; a project with an instance (the instance service says
    existing_use) keeps resolving the versions once offered to it: the certified ones."""
    draft = create(catalog, f"kept-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs")
    certified = certify(catalog, certification, draft)
    assert usable(catalog, draft.id, "globex").version.number == 1  # globex adds an instance here

    unlisted = update(catalog, certified, Action(unlist=Action.Unlist()))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: usable(catalog, draft.id, "initech"), reason="CONNECTOR_NOT_FOUND")
    kept = usable(catalog, draft.id, "globex", 1, existing_use=True)
    assert kept.version.number == 1 and kept.latest_version == 1 and kept.version.certified
    assert usable(catalog, draft.id, "globex", existing_use=True).version.number == 1

    private = publish_and_wait(catalog, unlisted)  # certification false: private, uncertified version 2
    assert private.private and not private.certified and private.published_version == 2
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: usable(catalog, draft.id, "globex"))
    latest = usable(catalog, draft.id, "globex", existing_use=True)
    assert (latest.version.number, latest.latest_version) == (1, 1)  # version 2 was never offered to globex
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: usable(catalog, draft.id, "globex", 2, existing_use=True),
                 reason="CONNECTOR_VERSION_NOT_FOUND")
    assert usable(catalog, draft.id, "acme").version.number == 2  # the creator sees every version


def test_a_private_republish_of_a_certified_connector_says_what_it_drops(catalog, certification, unique, repo_url):
    """Seed 000's post-approval responsibilities stay visible: a publish with certification false of a
    certified, public connector makes it private and uncertified (seed 002: "Set to false to make the
    Connector private and skip the certification process"); the request's answer and the publishing report
    say so in a Warning, and the certified version stays certified in its own record."""
    draft = create(catalog, f"drop-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs")
    certified = certify(catalog, certification, draft)
    processing = update(catalog, certified, Action(publish=Action.Publish(certification=False)))
    warnings = [e for e in processing.publishing_report.entries if e.type == WARNING]
    assert [w.title for w in warnings] == ["Certification dropped"]
    assert "private" in warnings[0].message and "certified" in warnings[0].message
    done = wait_for(catalog, draft.id, lambda d: d.status == spb.CONNECTOR_STATUS_PUBLISHED)
    assert done.private and not done.certified and done.published_version == 2
    assert "Certification dropped" in [e.title for e in done.publishing_report.entries if e.type == WARNING]
    versions = catalog.ListConnectorVersions(pb.ListConnectorVersionsRequest(connector_id=draft.id)).results
    assert [(v.number, v.certified) for v in versions] == [(2, False), (1, True)]
    # a private connector's re-publish warns of nothing
    again = update(catalog, done, Action(publish=Action.Publish(certification=False)))
    assert not [e for e in again.publishing_report.entries if e.type == WARNING]


def test_the_submission_carries_media_contact_and_intent(catalog, certification, unique, repo_url):
    """Seed 000, step 3: "Screenshots or demo videos (if applicable)", "Contact information for the developer
    or support team"; step 1, a declaration of intent before development. Set in the draft and by update
    actions, validated, checked at submission (naming what is missing) and seen by the reviewer."""
    draft = create(catalog, f"intent-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs", creator=spb.Creator(name="Nobody"),
                   declaration_of_intent="An ERP connector for orders")
    assert draft.declaration_of_intent == "An ERP connector for orders"
    failed = publish_and_wait(catalog, draft, certification=True)
    entries = {e.title: e for e in failed.publishing_report.entries}
    assert failed.status == spb.CONNECTOR_STATUS_FAILED
    assert "supportContact" in entries["Creator contact missing"].message
    assert entries["Screenshots or demo videos missing"].type == WARNING

    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(catalog, failed, Action(set_media=(
        Action.SetMedia(media=[spb.MediaLink(type=spb.MEDIA_TYPE_SCREENSHOT, url="javascript:alert(1)"),
                               spb.MediaLink(url="https://example.com/x.png"),
                               spb.MediaLink(type=spb.MEDIA_TYPE_DEMO_VIDEO, url="https://e.com/v", title="t" * 257)]))),
        Action(set_support_contact=Action.SetSupportContact(email="not-an-email"))))
    assert fields(error) == {"actions[0].set_media.media[0].url", "actions[0].set_media.media[1].type",
                             "actions[0].set_media.media[2].title", "actions[1].set_support_contact.email"}
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(catalog, failed, Action(set_media=Action.SetMedia(
        media=[spb.MediaLink(type=spb.MEDIA_TYPE_SCREENSHOT, url=f"https://e.com/{i}") for i in range(21)]))))

    media = [spb.MediaLink(type=spb.MEDIA_TYPE_SCREENSHOT, url="https://example.com/shot.png", title="Orders"),
             spb.MediaLink(type=spb.MEDIA_TYPE_DEMO_VIDEO, url="https://example.com/demo.mp4")]
    edited = update(catalog, failed, Action(set_media=Action.SetMedia(media=media)),
                    Action(set_support_contact=Action.SetSupportContact(email="support@example.com")),
                    Action(set_declaration_of_intent=Action.SetDeclarationOfIntent(declaration_of_intent="Orders")))
    assert list(edited.media) == media and edited.support_contact.email == "support@example.com"
    ready = publish_and_wait(catalog, edited, certification=True)
    assert ready.status == spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION
    titles = [e.title for e in ready.publishing_report.entries]
    assert "Creator contact check succeeded" in titles and "Screenshots or demo videos check succeeded" in titles
    queued = next(d for d in certification.ListCertificationQueue(cpb.ListCertificationQueueRequest(limit=500, reviewer="rev-1")).results
                  if d.id == draft.id)
    assert list(queued.media) == media and queued.support_contact.email == "support@example.com"
    assert queued.declaration_of_intent == "Orders"


def test_the_review_meeting_is_a_comment_with_its_time(catalog, certification, unique, repo_url):
    """Seed 000, step 4: "the [Public Marketplace] team will schedule a review meeting with the developers";
    recorded as a reviewer comment with the scheduled time, among the draft's certification comments."""
    draft = create(catalog, f"meet-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs")
    when = Timestamp()
    when.FromDatetime(datetime(2030, 5, 4, 14, 0, tzinfo=timezone.utc))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: certification.ScheduleReviewMeeting(
        cpb.ScheduleReviewMeetingRequest(id=draft.id, version=draft.version, meeting_time=when, comment="Demo",
                                         reviewer="rev-1")),
        reason="CONNECTOR_NOT_IN_CERTIFICATION")
    ready = publish_and_wait(catalog, draft, certification=True)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: certification.ScheduleReviewMeeting(
        cpb.ScheduleReviewMeetingRequest(id=draft.id, version=ready.version)))
    assert fields(error) == {"meeting_time", "comment"}
    scheduled = certification.ScheduleReviewMeeting(cpb.ScheduleReviewMeetingRequest(
        id=draft.id, version=ready.version, meeting_time=when, reviewer="rev-1",
        comment="Demonstrate order flows between source and destination"))
    meeting = scheduled.certification_info.comments[-1]
    assert meeting.user_id == "rev-1" and meeting.meeting_time == when
    assert meeting.comment.startswith("Demonstrate")
    queued = next(d for d in certification.ListCertificationQueue(cpb.ListCertificationQueueRequest(limit=500, reviewer="rev-1")).results
                  if d.id == draft.id)
    assert queued.certification_info.comments[-1].meeting_time == when


def preview(catalog, draft: spb.ConnectorStaged) -> spb.ConnectorStaged:
    pending = update(catalog, draft, Action(update_previewable=Action.UpdatePreviewable()))
    return wait_for(catalog, draft.id, lambda d: d.is_previewable == spb.IS_PREVIEWABLE_TRUE
                    and d.preview_number > draft.preview_number and d.version > pending.version)


def test_a_granted_preview_is_usable_by_the_creator_and_private_projects(catalog, unique, repo_url):
    """Seed 002, Preview Connector: "Previewable ConnectorStaged should be deployed for testing and preview
    purposes. You can only deploy previewable ConnectorStaged to Projects listed in privateProjects"; and
    isPreviewable true: "ConnectorStaged can be used in a Deployment". A preview is numbered apart from
    published versions, marked as one, offered to nobody else, and superseded by the next one granted."""
    draft = create(catalog, f"prev-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   private_projects=["eu.gcp:globex"])
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: usable(catalog, draft.id, "acme", preview=True),
                 reason="CONNECTOR_NOT_PREVIEWABLE")
    granted = preview(catalog, draft)
    assert granted.preview_number == 1 and granted.published_version == 0
    for project in ("acme", "globex", "eu.gcp:globex"):
        answer = usable(catalog, draft.id, project, preview=True)
        assert answer.version.preview and answer.version.number == 1 and answer.latest_version == 1
        assert answer.specification.applications
    for project in ("initech", "eu.gcp:initech"):
        expect_error(grpc.StatusCode.NOT_FOUND, lambda: usable(catalog, draft.id, project, preview=True))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: usable(catalog, draft.id, "globex"))  # nothing published

    second = preview(catalog, granted)
    assert second.preview_number == 2
    assert usable(catalog, draft.id, "globex", preview=True).version.number == 2
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: usable(catalog, draft.id, "globex", 1, preview=True),
                 reason="CONNECTOR_PREVIEW_SUPERSEDED")
    published = publish_and_wait(catalog, second)  # published versions count on their own
    assert published.published_version == 1
    plain = usable(catalog, draft.id, "globex")
    assert plain.version.number == 1 and not plain.version.preview
    assert usable(catalog, draft.id, "globex", preview=True).version.number == 2
