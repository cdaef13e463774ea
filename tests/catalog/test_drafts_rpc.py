"""CatalogService drafts over a real gRPC channel: create, get, query, update actions, delete."""

from __future__ import annotations

import grpc

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from tests.catalog.gitrepos import certify, publish_and_wait, wait_for
from tests.rich import expect_error, fields

Action = apb.ConnectorStagedUpdateAction


def draft_request(key: str, project: str = "acme", **overrides) -> pb.CreateConnectorStagedRequest:
    draft = spb.ConnectorStagedDraft(
        key=key,
        name="Connector's name",
        description="Connector's description",
        integration_types=["other"],
        creator=spb.Creator(title="Mr", name="John Doe", email="john.doe@example.com", company="commercetools",
                            no_of_contributors=200),
        repository=spb.Repository(url="git@github.com:commercetools/connect-application-kit.git", tag="0.0.0"),
        supported_regions=["us-central1.gcp", "europe-west1.gcp"],
    )
    for name, value in overrides.items():
        if isinstance(value, list):
            getattr(draft, name)[:] = value
        elif hasattr(value, "CopyFrom"):
            getattr(draft, name).CopyFrom(value)
        else:
            setattr(draft, name, value)
    return pb.CreateConnectorStagedRequest(draft=draft, project=project)


def create(catalog, key: str, **overrides) -> spb.ConnectorStaged:
    return catalog.CreateConnectorStaged(draft_request(key, **overrides))


def update(catalog, draft: spb.ConnectorStaged, *actions: Action, project: str = "acme") -> spb.ConnectorStaged:
    return catalog.UpdateConnectorStaged(
        pb.UpdateConnectorStagedRequest(id=draft.id, version=draft.version, actions=list(actions), project=project)
    )


def test_create_returns_the_seed_representation(catalog, unique):
    draft = create(catalog, f"connector-{unique}")
    assert draft.id and draft.version == 1
    assert draft.key == f"connector-{unique}" and draft.name == "Connector's name"
    assert draft.status == spb.CONNECTOR_STATUS_DRAFT
    assert draft.is_previewable == spb.IS_PREVIEWABLE_NONE
    assert draft.private and not draft.already_listed and not draft.has_changes
    assert list(draft.supported_regions) == ["us-central1.gcp", "europe-west1.gcp"]
    assert draft.creator.no_of_contributors == 200 and draft.creator_project == "acme"
    assert not draft.HasField("publishing_report")


def test_create_reports_every_wrong_field_and_writes_nothing(catalog, unique):
    bad = draft_request(
        "x",  # too short
        name="",
        repository=spb.Repository(url="not a url", tag=""),
        supported_regions=["Europe West"],
        private_projects=["nope"],
        documentation_url="ftp://example.com",
        creator=spb.Creator(email="not-an-email", no_of_contributors=-1),
    )
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.CreateConnectorStaged(bad))
    assert fields(error) == {
        "draft.key", "draft.name", "draft.repository.url", "draft.repository.tag", "draft.supported_regions[0]",
        "draft.private_projects[0]", "draft.documentation_url", "draft.creator.email",
        "draft.creator.no_of_contributors",
    }
    page = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project="acme"))
    assert all(d.key != "x" for d in page.results)


def test_duplicate_key_is_already_exists_naming_the_field(catalog, unique):
    create(catalog, f"dup-{unique}")
    error = expect_error(
        grpc.StatusCode.ALREADY_EXISTS, lambda: create(catalog, f"dup-{unique}"), reason="DUPLICATE_FIELD_VALUE"
    )
    assert error.metadata["field"] == "key"


def test_request_id_replay_returns_the_first_draft(catalog, unique):
    request = draft_request(f"replay-{unique}")
    request.request_id = f"req-{unique}"
    first = catalog.CreateConnectorStaged(request)
    second = catalog.CreateConnectorStaged(request)
    assert second.id == first.id and second.version == 1


def test_get_by_id_and_key_and_not_found(catalog, unique):
    draft = create(catalog, f"get-{unique}")
    assert catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id)).key == draft.key
    assert catalog.GetConnectorStagedByKey(pb.GetConnectorStagedByKeyRequest(key=draft.key)).id == draft.id
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id="nope")),
                 reason="CONNECTOR_STAGED_NOT_FOUND")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.GetConnectorStaged(pb.GetConnectorStagedRequest()))
    # another project's draft answers exactly like a missing one
    foreign = expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnectorStaged(
        pb.GetConnectorStagedRequest(id=draft.id, project="other")))
    missing = expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnectorStaged(
        pb.GetConnectorStagedRequest(id=draft.id + "x", project="other")))
    assert foreign.reason == missing.reason


def test_query_pages_sorts_and_filters(catalog, unique):
    project = f"p{unique}"
    for index, (name, types) in enumerate([("bravo", ["payment"]), ("alpha", ["other"]), ("charlie", ["payment"])]):
        create(catalog, f"q{index}-{unique}", name=name, integration_types=types, project=project)
    page = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project=project, sort=["name desc"], limit=2))
    assert [d.name for d in page.results] == ["charlie", "bravo"]
    assert (page.limit, page.offset, page.count, page.total) == (2, 0, 2, 3)
    rest = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(
        project=project, sort=["name desc"], limit=2, page_token=page.next_page_token))
    assert [d.name for d in rest.results] == ["alpha"] and rest.next_page_token == ""
    by_offset = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(
        project=project, sort=["name desc"], limit=2, offset=2))
    assert [d.name for d in by_offset.results] == ["alpha"]
    payment = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project=project, integration_types=["payment"]))
    assert sorted(d.name for d in payment.results) == ["bravo", "charlie"]
    public = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project=project, is_private=False))
    assert public.total == 0
    default = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project=project))
    assert default.limit == 20 and [d.name for d in default.results] == ["bravo", "alpha", "charlie"]


def test_query_rejects_bad_parameters(catalog):
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.QueryConnectorStaged(
        pb.QueryConnectorStagedRequest(limit=501, sort=["colour asc"])))
    assert "limit" in fields(error)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.QueryConnectorStaged(
        pb.QueryConnectorStagedRequest(sort=["colour asc"])))
    assert fields(error) == {"sort[0]"}
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.QueryConnectorStaged(
        pb.QueryConnectorStagedRequest(page_token="garbage!")))
    assert fields(error) == {"page_token"}


def test_every_content_action_applies_in_one_version(catalog, unique):
    draft = create(catalog, f"act-{unique}")
    updated = update(
        catalog,
        draft,
        Action(set_name=Action.SetName(name="New Connector name")),
        Action(set_description=Action.SetDescription(description="New description")),
        Action(set_repository=Action.SetRepository(url="https://github.com/acme/conn.git", tag="1.0.0")),
        Action(set_supported_regions=Action.SetSupportedRegions(regions=["australia-southeast1.gcp"])),
        Action(set_documentation_url=Action.SetDocumentationUrl(documentation_url="https://example.com/docs")),
        Action(set_integration_types=Action.SetIntegrationTypes(integration_types=["promotion", "other"])),
        Action(set_creator_name=Action.SetCreatorName(creator_name="Jane Doe")),
        Action(set_creator_title=Action.SetCreatorTitle(creator_title="Ms")),
        Action(set_creator_email=Action.SetCreatorEmail(creator_email="jane@example.com")),
        Action(set_creator_company=Action.SetCreatorCompany(creator_company="New company")),
        Action(set_creator_no_of_contributors=Action.SetCreatorNoOfContributors(creator_no_of_contributors=123)),
        Action(set_creator_support_url=Action.SetCreatorSupportUrl(creator_support_url="https://example.com/support")),
        Action(set_creator_logo=Action.SetCreatorLogo(creator_logo_url="https://example.com/logo.png")),
        Action(add_private_project=Action.AddPrivateProject(private_project="europe-west1.gcp:example-project-key")),
    )
    assert updated.version == 2
    assert updated.name == "New Connector name" and updated.description == "New description"
    assert updated.repository.url == "https://github.com/acme/conn.git" and updated.repository.tag == "1.0.0"
    assert list(updated.supported_regions) == ["australia-southeast1.gcp"]
    assert updated.documentation_url == "https://example.com/docs"
    assert list(updated.integration_types) == ["promotion", "other"]
    c = updated.creator
    assert (c.name, c.title, c.email, c.company, c.no_of_contributors, c.support_url, c.logo_url) == (
        "Jane Doe", "Ms", "jane@example.com", "New company", 123, "https://example.com/support",
        "https://example.com/logo.png")
    assert list(updated.private_projects) == ["europe-west1.gcp:example-project-key"]
    removed = update(catalog, updated, Action(
        remove_private_project=Action.RemovePrivateProject(private_project="europe-west1.gcp:example-project-key")))
    assert list(removed.private_projects) == [] and removed.version == 3
    stored = catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id))
    assert stored == removed
    retagged = update(catalog, removed, Action(set_repository=Action.SetRepository(tag="1.0.1")))
    assert (retagged.repository.url, retagged.repository.tag) == ("https://github.com/acme/conn.git", "1.0.1")


def test_actions_are_all_or_none(catalog, unique):
    draft = create(catalog, f"atomic-{unique}")
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(
        catalog, draft,
        Action(set_name=Action.SetName(name="Changed")),
        Action(set_supported_regions=Action.SetSupportedRegions(regions=[])),
        Action(set_creator_no_of_contributors=Action.SetCreatorNoOfContributors(creator_no_of_contributors=0)),
        Action(add_private_project=Action.AddPrivateProject(private_project="bad")),
        Action(),
    ))
    assert fields(error) == {
        "actions[1].set_supported_regions.regions",
        "actions[2].set_creator_no_of_contributors.creator_no_of_contributors",
        "actions[3].add_private_project.private_project",
        "actions[4]",
    }
    stored = catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id))
    assert stored.name == "Connector's name" and stored.version == 1


def test_stale_version_is_aborted_with_both_versions(catalog, unique):
    draft = create(catalog, f"stale-{unique}")
    update(catalog, draft, Action(set_name=Action.SetName(name="first")))
    error = expect_error(grpc.StatusCode.ABORTED, lambda: update(catalog, draft, Action(set_name=Action.SetName(name="x"))),
                         reason="CONCURRENT_MODIFICATION")
    assert error.metadata["expected_version"] == "1" and error.metadata["current_version"] == "2"


def test_publish_without_certification_creates_version_1(catalog, unique, repo_url):
    draft = create(catalog, f"pub-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    published = publish_and_wait(catalog, draft)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED and published.version == 3  # request, then job
    assert published.already_listed and published.private and not published.has_changes
    assert published.published_version == 1
    titles = [e.title for e in published.publishing_report.entries]
    assert "Connector published" in titles and "Connector specification file valid" in titles
    assert all(e.type != spb.CONNECTOR_REPORT_ENTRY_TYPE_ERROR for e in published.publishing_report.entries)
    assert [c.application_name for c in published.configurations] == ["shop-sync"]
    connector = catalog.GetConnector(pb.GetConnectorRequest(id=draft.id))
    assert connector.latest.number == 1 and connector.latest.name == "Connector's name"
    assert connector.lifecycle_state == 1  # ACTIVE
    assert [k.key for k in connector.latest.specification.applications[0].secured_configuration] == ["API_TOKEN"]
    edited = update(catalog, published, Action(set_name=Action.SetName(name="Renamed")))
    assert edited.has_changes and edited.status == spb.CONNECTOR_STATUS_DRAFT
    # the published version is immutable
    assert catalog.GetConnector(pb.GetConnectorRequest(id=draft.id)).latest.name == "Connector's name"
    again = publish_and_wait(catalog, edited)
    assert again.published_version == 2 and not again.has_changes
    versions = catalog.ListConnectorVersions(pb.ListConnectorVersionsRequest(connector_id=draft.id))
    assert [v.number for v in versions.results] == [2, 1] and versions.total == 2
    assert catalog.GetConnectorVersion(pb.GetConnectorVersionRequest(connector_id=draft.id, number=1)).name == (
        "Connector's name")
    assert catalog.GetConnectorVersion(pb.GetConnectorVersionRequest(connector_id=draft.id, number=2)).name == "Renamed"


def test_unlist_needs_a_certified_listed_connector(catalog, certification, unique, repo_url):
    """Seed 002, Unlist: "Removes a certified and listed Connector from search results and listings." A draft
    never published, a private (uncertified) connector, and one already unlisted are refused, each with the
    reason a user can act on."""
    draft = create(catalog, f"unl-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(catalog, draft, Action(unlist=Action.Unlist())),
                 reason="CONNECTOR_NOT_LISTED")
    private = publish_and_wait(catalog, draft)
    assert private.private and private.already_listed and not private.certified
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION,
                         lambda: update(catalog, private, Action(unlist=Action.Unlist())),
                         reason="CONNECTOR_NOT_CERTIFIED")
    assert "certified" in str(error)
    assert catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id)).version == private.version
    published = certify(catalog, certification, private)
    unlisted = update(catalog, published, Action(unlist=Action.Unlist()))
    assert not unlisted.already_listed and unlisted.status == spb.CONNECTOR_STATUS_PUBLISHED
    assert not catalog.GetConnector(pb.GetConnectorRequest(id=draft.id)).listed
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(catalog, unlisted, Action(unlist=Action.Unlist())),
                 reason="CONNECTOR_NOT_LISTED")


def test_private_project_actions_need_a_private_draft(catalog, certification, unique, repo_url):
    draft = create(catalog, f"priv-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs")
    assert draft.private  # new drafts are private, so adding works
    added = update(catalog, draft, Action(add_private_project=Action.AddPrivateProject(private_project="eu.gcp:proj-1")))
    assert list(added.private_projects) == ["eu.gcp:proj-1"]
    public = certify(catalog, certification, added)
    assert not public.private
    for action in (Action(add_private_project=Action.AddPrivateProject(private_project="eu.gcp:proj-2")),
                   Action(remove_private_project=Action.RemovePrivateProject(private_project="eu.gcp:proj-1"))):
        error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(catalog, public, action),
                             reason="CONNECTOR_STAGED_NOT_PRIVATE")
        assert error.violations[0].subject == "actions[0]"


def test_preview_request_is_a_job_and_refuses_a_second_while_pending(catalog, unique, repo_url):
    draft = create(catalog, f"prev-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        catalog, draft, Action(update_previewable=Action.UpdatePreviewable()),
        Action(update_previewable=Action.UpdatePreviewable())), reason="CONNECTOR_STAGED_PREVIEW_REQUEST_UNDER_PROCESS")
    assert error.violations[0].subject == "actions[1]"
    pending = update(catalog, draft, Action(update_previewable=Action.UpdatePreviewable()))
    assert pending.is_previewable == spb.IS_PREVIEWABLE_PENDING
    previewed = wait_for(catalog, draft.id, lambda d: d.is_previewable != spb.IS_PREVIEWABLE_PENDING)
    assert previewed.is_previewable == spb.IS_PREVIEWABLE_TRUE
    assert "Connector specification file valid" in [e.title for e in previewed.previewable_report.entries]
    assert [c.application_name for c in previewed.configurations] == ["shop-sync"]
    assert previewed.status == spb.CONNECTOR_STATUS_DRAFT


def test_certification_comment_outside_certification_is_refused(catalog, unique):
    draft = create(catalog, f"cmt-{unique}")
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        catalog, draft, Action(add_certification_comment=Action.AddCertificationComment(comment="hi"))),
        reason="CONNECTOR_NOT_IN_CERTIFICATION")
    assert error.violations[0].subject == "actions[0]"


def test_delete_draft_only_before_publishing(catalog, unique, repo_url):
    draft = create(catalog, f"del-{unique}")
    expect_error(grpc.StatusCode.ABORTED, lambda: catalog.DeleteConnectorStaged(
        pb.DeleteConnectorStagedRequest(id=draft.id, version=7)), reason="CONCURRENT_MODIFICATION")
    catalog.DeleteConnectorStaged(pb.DeleteConnectorStagedRequest(id=draft.id, version=1))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id)))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.DeleteConnectorStaged(
        pb.DeleteConnectorStagedRequest(id=draft.id)))
    other = create(catalog, f"del2-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    published = publish_and_wait(catalog, other)
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.DeleteConnectorStaged(
        pb.DeleteConnectorStagedRequest(id=published.id)), reason="CONNECTOR_STAGED_ALREADY_PUBLISHED")
