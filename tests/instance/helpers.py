"""Helpers shared by the instance tests: publishing a connector on the real catalog, building rows."""

from __future__ import annotations

import subprocess
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from datetime import datetime, timezone

from instance_service.domain.model import Instance, InstanceState, RateLimitUnit, VersionPolicy
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


MINIMAL_SPEC = "deployAs:\n  - {name: app, applicationType: service}\n"
_REPOS: dict[str, str] = {}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd,
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def connector_repo(spec: str = MINIMAL_SPEC, tag: str = "v1.0.0") -> str:
    """The file:// URL of a real git repository with ``spec`` as connect.yaml at ``tag`` (made once)."""
    key = f"{tag}\n{spec}"
    if key not in _REPOS:
        root = Path(tempfile.mkdtemp(prefix="plugboard-connector-"))
        git(root, "init", "--quiet")
        (root / "connect.yaml").write_text(spec)
        git(root, "add", ".")
        git(root, "commit", "--quiet", "-m", "connector")
        git(root, "tag", tag)
        _REPOS[key] = root.as_uri()
    return _REPOS[key]


def wait_published(catalog, project: str, draft_id: str, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    """The draft once its publishing job is over (publishing may run as a background job)."""
    deadline = time.monotonic() + timeout
    while True:
        draft = catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=draft_id, project=project))
        if draft.status != spb.CONNECTOR_STATUS_PROCESSING or time.monotonic() > deadline:
            return draft
        time.sleep(0.02)


def publish(catalog, project: str, key: str, spec: str = MINIMAL_SPEC) -> str:  # type: ignore[no-untyped-def]
    """Create a draft from a local git repository and publish it without certification (private to
    ``project``); its id. The catalog must allow file:// repository URLs (``git_allow_file_urls``)."""
    draft = catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
        project=project,
        draft=spb.ConnectorStagedDraft(
            key=key, name=f"Connector {key}", repository=spb.Repository(url=connector_repo(spec), tag="v1.0.0"),
            creator=spb.Creator(email="dev@example.com"),  # commercetools' models require it
        ),
    ))
    catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=draft.id, version=draft.version, project=project,
        actions=[apb.ConnectorStagedUpdateAction(publish=apb.ConnectorStagedUpdateAction.Publish(certification=False))],
    ))
    published = wait_published(catalog, project, draft.id)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, list(published.publishing_report.entries)
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
