"""Certification over a real gRPC channel: publish{certification: true}, the reviewer's queue, start,
comments, approve and reject, with the submission requirements of seed 000 checked as report entries."""

from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import certification_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from tests.catalog.gitrepos import REVIEWER, publish_and_wait
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.rich import expect_error, fields

READY = spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION
R = REVIEWER
IN_CERTIFICATION = spb.CONNECTOR_STATUS_IN_CERTIFICATION


def submitted(catalog, unique: str, repo_url: str, name: str = "sub", **overrides) -> spb.ConnectorStaged:
    draft = create(catalog, f"{name}-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs", **overrides)
    return publish_and_wait(catalog, draft, certification=True)


def test_certification_flow_to_a_public_certified_listed_connector(catalog, certification, unique, repo_url):
    ready = submitted(catalog, unique, repo_url)
    assert ready.status == READY and ready.published_version == 0 and not ready.already_listed
    titles = [e.title for e in ready.publishing_report.entries]
    for title in ("Documentation URL check succeeded", "Creator contact check succeeded",
                  "Supported regions check succeeded", "Connector specification check succeeded",
                  "Connector submitted for certification"):
        assert title in titles
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnector(pb.GetConnectorRequest(id=ready.id)))

    queue = certification.ListCertificationQueue(cpb.ListCertificationQueueRequest(reviewer="rev-1"))
    assert ready.id in [d.id for d in queue.results] and queue.limit == 20
    # the creator may comment while it waits; edits are refused
    commented = update(catalog, ready, Action(add_certification_comment=Action.AddCertificationComment(
        comment="Ready when you are")))
    assert [(c.user_id, c.comment) for c in commented.certification_info.comments] == [("acme", "Ready when you are")]
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        catalog, commented, Action(set_name=Action.SetName(name="x"))), reason="CONNECTOR_STAGED_IN_CERTIFICATION")

    started = certification.StartCertificationReview(cpb.StartCertificationReviewRequest(
        id=ready.id, version=commented.version, reviewer="rev-1"))
    assert started.status == IN_CERTIFICATION
    in_review = certification.ListCertificationQueue(cpb.ListCertificationQueueRequest(
        status=IN_CERTIFICATION, limit=500, reviewer="rev-1"))
    assert ready.id in [d.id for d in in_review.results]
    noted = certification.AddReviewComment(cpb.AddReviewCommentRequest(
        id=ready.id, version=started.version, reviewer="rev-1", comment="Demo looked good"))
    last = noted.certification_info.comments[-1]
    assert (last.user_id, last.comment) == ("rev-1", "Demo looked good") and last.datetime.seconds > 0
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        catalog, noted, Action(publish=Action.Publish())), reason="CONNECTOR_STAGED_IN_CERTIFICATION")

    approved = certification.ApproveCertification(cpb.ApproveCertificationRequest(
        id=ready.id, version=noted.version, reviewer="rev-1", comment="Approved"))
    assert approved.status == spb.CONNECTOR_STATUS_PUBLISHED and approved.certified
    assert approved.already_listed and not approved.private and approved.published_version == 1
    assert [c.comment for c in approved.certification_info.comments][-1] == "Approved"
    connector = catalog.GetConnector(pb.GetConnectorRequest(id=ready.id, project="someone-else"))
    assert connector.certified and connector.listed and not connector.private and connector.latest.certified
    assert ready.id not in [d.id for d in certification.ListCertificationQueue(
        cpb.ListCertificationQueueRequest(limit=500, reviewer="rev-1")).results]


def test_reject_fails_the_draft_with_the_comment(catalog, certification, unique, repo_url):
    ready = submitted(catalog, unique, repo_url, name="rej")
    started = certification.StartCertificationReview(cpb.StartCertificationReviewRequest(
        id=ready.id, version=ready.version, reviewer="reviewers"))
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: certification.RejectCertification(
        cpb.RejectCertificationRequest(id=ready.id, version=started.version, reviewer="reviewers", comment=" ")))
    assert fields(error) == {"comment"}
    rejected = certification.RejectCertification(cpb.RejectCertificationRequest(
        id=ready.id, version=started.version, reviewer="reviewers", comment="No support contact answered"))
    assert rejected.status == spb.CONNECTOR_STATUS_FAILED and not rejected.certified
    last = rejected.publishing_report.entries[-1]
    assert (last.type, last.title, last.message) == (
        spb.CONNECTOR_REPORT_ENTRY_TYPE_ERROR, "Certification rejected", "No support contact answered")
    assert rejected.certification_info.comments[-1].user_id == "reviewers"
    # a failed draft can be edited again
    edited = update(catalog, rejected, Action(set_creator_support_url=Action.SetCreatorSupportUrl(
        creator_support_url="https://example.com/support")))
    assert edited.status == spb.CONNECTOR_STATUS_DRAFT


def test_submission_requirements_fail_the_publish_with_one_entry_each(catalog, unique, repo_url):
    draft = create(catalog, f"req-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   creator=spb.Creator(name="Nobody"), supported_regions=[])
    failed = publish_and_wait(catalog, draft, certification=True)
    assert failed.status == spb.CONNECTOR_STATUS_FAILED
    error_titles = {e.title for e in failed.publishing_report.entries
                    if e.type == spb.CONNECTOR_REPORT_ENTRY_TYPE_ERROR}
    assert error_titles == {"Documentation URL missing", "Creator contact missing", "Supported regions missing"}


def test_reviewer_calls_in_the_wrong_state_are_refused(catalog, certification, unique, repo_url):
    draft = create(catalog, f"wrong-{unique}")
    for call, reason in [
        (lambda v: certification.StartCertificationReview(cpb.StartCertificationReviewRequest(id=draft.id, version=v, reviewer=R)),
         "CONNECTOR_NOT_READY_FOR_CERTIFICATION"),
        (lambda v: certification.AddReviewComment(cpb.AddReviewCommentRequest(id=draft.id, version=v, comment="c", reviewer=R)),
         "CONNECTOR_NOT_IN_CERTIFICATION"),
        (lambda v: certification.ApproveCertification(cpb.ApproveCertificationRequest(id=draft.id, version=v, reviewer=R)),
         "CONNECTOR_NOT_IN_CERTIFICATION"),
        (lambda v: certification.RejectCertification(cpb.RejectCertificationRequest(
            id=draft.id, version=v, comment="c", reviewer=R)), "CONNECTOR_NOT_IN_CERTIFICATION"),
    ]:
        error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: call(1), reason=reason)
        assert error.violations[0].subject == f"connectors/drafts/{draft.id}"
        expect_error(grpc.StatusCode.ABORTED, lambda: call(5), reason="CONCURRENT_MODIFICATION")
    ready = submitted(catalog, unique, repo_url, name="ready")
    # approving or rejecting needs a started review
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: certification.ApproveCertification(
        cpb.ApproveCertificationRequest(id=ready.id, version=ready.version, reviewer=R)), reason="CONNECTOR_NOT_IN_CERTIFICATION")
    started = certification.StartCertificationReview(cpb.StartCertificationReviewRequest(
        id=ready.id, version=ready.version, reviewer=R))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: certification.StartCertificationReview(
        cpb.StartCertificationReviewRequest(id=ready.id, version=started.version, reviewer=R)),
        reason="CONNECTOR_NOT_READY_FOR_CERTIFICATION")
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: certification.StartCertificationReview(
        cpb.StartCertificationReviewRequest(id="missing", version=1, reviewer=R)), reason="CONNECTOR_STAGED_NOT_FOUND")
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: certification.AddReviewComment(
        cpb.AddReviewCommentRequest(version=0)))
    assert fields(error) == {"id", "version", "comment"}


def test_queue_pages_oldest_submission_first(catalog, certification, unique, repo_url):
    ids = [submitted(catalog, unique, repo_url, name=f"q{n}").id for n in range(3)]
    first = certification.ListCertificationQueue(cpb.ListCertificationQueueRequest(limit=2, status=READY, reviewer="rev-1"))
    assert first.count == 2 and first.total >= 3 and first.next_page_token
    seen = [d.id for d in first.results]
    token = first.next_page_token
    while token:
        page = certification.ListCertificationQueue(cpb.ListCertificationQueueRequest(
            limit=2, status=READY, page_token=token, reviewer="rev-1"))
        seen += [d.id for d in page.results]
        token = page.next_page_token
    mine = [i for i in seen if i in ids]
    assert mine == ids and len(seen) == len(set(seen))
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: certification.ListCertificationQueue(
        cpb.ListCertificationQueueRequest(limit=501, status=spb.CONNECTOR_STATUS_DRAFT, reviewer="rev-1")))
    assert fields(error) == {"limit"}
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: certification.ListCertificationQueue(
        cpb.ListCertificationQueueRequest(status=spb.CONNECTOR_STATUS_DRAFT, reviewer="rev-1")))
    assert fields(error) == {"status"}


# --- separation of duties ----------------------------------------------------------------------------


MEETING = Timestamp(seconds=1_900_000_000)


def _review_calls(certification, draft_id: str, reviewer: str):  # type: ignore[no-untyped-def]
    """Every CertificationService call on one draft, as ``reviewer``, each taking the draft's version."""
    return {
        "start": lambda v: certification.StartCertificationReview(cpb.StartCertificationReviewRequest(
            id=draft_id, version=v, reviewer=reviewer)),
        "comment": lambda v: certification.AddReviewComment(cpb.AddReviewCommentRequest(
            id=draft_id, version=v, reviewer=reviewer, comment="c")),
        "meeting": lambda v: certification.ScheduleReviewMeeting(cpb.ScheduleReviewMeetingRequest(
            id=draft_id, version=v, reviewer=reviewer, comment="demo", meeting_time=MEETING)),
        "approve": lambda v: certification.ApproveCertification(cpb.ApproveCertificationRequest(
            id=draft_id, version=v, reviewer=reviewer)),
        "reject": lambda v: certification.RejectCertification(cpb.RejectCertificationRequest(
            id=draft_id, version=v, reviewer=reviewer, comment="c")),
        "queue": lambda v: certification.ListCertificationQueue(cpb.ListCertificationQueueRequest(
            reviewer=reviewer)),
    }


def test_only_reviewer_projects_certify(catalog, certification, unique, repo_url):
    ready = submitted(catalog, unique, repo_url, name="sod")
    for reviewer in ("acme", "globex"):  # the creator itself, and any other project outside the set
        for name, call in _review_calls(certification, ready.id, reviewer).items():
            error = expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: call(ready.version),
                                 reason="NOT_A_REVIEWER_PROJECT")
            assert error.metadata == {"project": reviewer}, name
    for name, call in _review_calls(certification, ready.id, "").items():
        assert fields(expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: call(ready.version))) == {"reviewer"}
    current = catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=ready.id))
    assert current.status == READY and current.version == ready.version  # nothing changed


def test_a_reviewer_never_certifies_a_connector_its_own_project_created(catalog, certification, unique, repo_url):
    own = create(catalog, f"own-{unique}", project="reviewers", documentation_url="https://example.com/docs",
                 repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    ready = publish_and_wait(catalog, own, certification=True, project="reviewers")
    assert ready.status == READY
    calls = _review_calls(certification, ready.id, "reviewers")
    for name in ("start", "comment", "meeting", "approve", "reject"):
        error = expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: calls[name](ready.version),
                             reason="REVIEWER_IS_CREATOR")
        assert error.metadata == {"project": "reviewers", "connector": ready.id}, name
    # its queue leaves out what it cannot review; another reviewer project's queue has it, and reviews it
    assert ready.id not in [d.id for d in calls["queue"](0).results]
    other = _review_calls(certification, ready.id, "rev-1")
    assert ready.id in [d.id for d in other["queue"](0).results]
    started = other["start"](ready.version)
    assert started.status == IN_CERTIFICATION
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: calls["approve"](started.version),
                 reason="REVIEWER_IS_CREATOR")
    approved = other["approve"](started.version)
    assert approved.certified and approved.status == spb.CONNECTOR_STATUS_PUBLISHED



def test_a_meeting_time_no_datetime_holds_is_invalid_argument(catalog, certification, unique, repo_url):
    ready = submitted(catalog, unique, repo_url, name="far")
    for when in (Timestamp(seconds=2**62), Timestamp(seconds=-2**40), Timestamp(seconds=0, nanos=-1)):
        error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: certification.ScheduleReviewMeeting(
            cpb.ScheduleReviewMeetingRequest(id=ready.id, version=ready.version, reviewer=R, comment="c",
                                             meeting_time=when)))
        assert fields(error) == {"meeting_time"}
