"""Helpers shared by the instance tests: publishing a connector on the real catalog, building rows."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timezone

from instance_service.domain.model import Instance, InstanceState, RateLimitUnit, VersionPolicy
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from tests.catalog.gitrepos import connector_repo, publish_and_wait

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


MINIMAL_SPEC = "deployAs:\n  - {name: app, applicationType: service, endpoint: /app}\n"


def publish(catalog, project: str, key: str, spec: str = MINIMAL_SPEC,  # type: ignore[no-untyped-def]
            plugboard: str | None = None) -> str:
    """Create a draft from a real git repository with ``spec`` as connect.yaml (and ``plugboard`` as
    plugboard.yaml) and publish it without certification (private to ``project``); its id. The catalog
    must allow file:// repository URLs (``git_allow_file_urls``)."""
    draft = catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
        project=project,
        draft=spb.ConnectorStagedDraft(
            key=key, name=f"Connector {key}",
            repository=spb.Repository(url=connector_repo(spec, plugboard=plugboard), tag="v1.0.0"),
            creator=spb.Creator(email="dev@example.com"),  # commercetools' models require it
        ),
    ))
    published = publish_and_wait(catalog, draft, project=project)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, list(published.publishing_report.entries)
    return draft.id


def publish_version(catalog, project: str, connector_id: str, spec: str,  # type: ignore[no-untyped-def]
                    plugboard: str | None = None) -> int:
    """Publish the next version of a connector with ``spec`` as its connect.yaml (and ``plugboard`` as
    plugboard.yaml); its number."""
    draft = catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=connector_id, project=project))
    Action = apb.ConnectorStagedUpdateAction
    edited = catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=connector_id, version=draft.version, project=project,
        actions=[Action(set_repository=Action.SetRepository(url=connector_repo(spec, plugboard=plugboard), tag="v1.0.0"))]))
    published = publish_and_wait(catalog, edited, project=project)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, list(published.publishing_report.entries)
    return published.published_version


def pending(project="acme", name="inst", connector_id="c-1", created=T0, **changes) -> Instance:  # type: ignore[no-untyped-def]
    """A PENDING instance as the create protocol writes it."""
    base = Instance(
        id=str(uuid.uuid4()), project=project, name=name, connector_id=connector_id, connector_key="",
        connector_version=0, version_policy=VersionPolicy.FOLLOW_LATEST, timezone="UTC", date_format="Y-m-d",
        rate_limit_unit=RateLimitUnit.MINUTE, rate_limit_duration=1, state=InstanceState.PENDING, version=1,
        create_time=created, update_time=created,
    )
    return replace(base, **changes)
