"""Helpers shared by the instance tests: publishing a connector on the real catalog, building rows."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timezone

from instance_service.domain.model import Instance, InstanceState, RateLimitUnit, VersionPolicy
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def publish(catalog, project: str, key: str) -> str:  # type: ignore[no-untyped-def]
    """Create a draft and publish it without certification (private to ``project``); its id."""
    draft = catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
        project=project,
        draft=spb.ConnectorStagedDraft(
            key=key, name=f"Connector {key}",
            repository=spb.Repository(url=f"https://github.com/acme/{key}.git", tag="v1.0.0"),
        ),
    ))
    published = catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=draft.id, version=draft.version, project=project,
        actions=[apb.ConnectorStagedUpdateAction(publish=apb.ConnectorStagedUpdateAction.Publish(certification=False))],
    ))
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED
    return draft.id


def pending(project="acme", name="inst", connector_id="c-1", created=T0, **changes) -> Instance:  # type: ignore[no-untyped-def]
    """A PENDING instance as the create protocol writes it."""
    base = Instance(
        id=str(uuid.uuid4()), project=project, name=name, connector_id=connector_id, connector_key="",
        connector_version=0, version_policy=VersionPolicy.FOLLOW_LATEST, timezone="UTC", date_format="Y-m-d",
        rate_limit_unit=RateLimitUnit.MINUTE, rate_limit_duration=1, state=InstanceState.PENDING, version=1,
        create_time=created, update_time=created,
    )
    return replace(base, **changes)
