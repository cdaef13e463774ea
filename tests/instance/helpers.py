"""Helpers shared by the instance tests: publishing a connector (its versions, its `connection` section) on
the real catalog, building rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from datetime import datetime, timezone

from instance_service.domain.model import Instance, InstanceState, RateLimitUnit, VersionPolicy
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from tests.catalog.gitrepos import connector_repo, publish_and_wait

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


MINIMAL_SPEC = "deployAs:\n  - {name: app, applicationType: service, endpoint: /app}\n"


def publish(catalog, project: str, key: str, spec: str = MINIMAL_SPEC,  # type: ignore[no-untyped-def]
            plugboard: str | None = None, connection: Mapping[str, Any] | None = None) -> str:
    """Create a draft from a real git repository with ``spec`` as connect.yaml (and ``connection``, a
    ``connection_section``, as its connection test in plugboard.yaml, or ``plugboard`` as that file's text)
    and publish it without certification (private to ``project``); its id. The catalog must allow file://
    repository URLs (``git_allow_file_urls``)."""
    draft = catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
        project=project,
        draft=spb.ConnectorStagedDraft(
            key=key, name=f"Connector {key}",
            repository=spb.Repository(url=connector_repo(spec, connection=connection, plugboard=plugboard),
                                      tag="v1.0.0"),
            creator=spb.Creator(email="dev@example.com"),  # commercetools' models require it
        ),
    ))
    published = publish_and_wait(catalog, draft, project=project)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, list(published.publishing_report.entries)
    return draft.id


def publish_version(catalog, project: str, connector_id: str, spec: str,  # type: ignore[no-untyped-def]
                    plugboard: str | None = None, connection: Mapping[str, Any] | None = None) -> int:
    """Publish the next version of a connector with ``spec`` as its connect.yaml (and ``connection`` as
    its connection test, or ``plugboard`` as plugboard.yaml's text); its number."""
    draft = catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=connector_id, project=project))
    Action = apb.ConnectorStagedUpdateAction
    edited = catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=connector_id, version=draft.version, project=project,
        actions=[Action(set_repository=Action.SetRepository(
            url=connector_repo(spec, connection=connection, plugboard=plugboard), tag="v1.0.0"))]))
    published = publish_and_wait(catalog, edited, project=project)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, list(published.publishing_report.entries)
    return published.published_version


# ConnectionAuthentication fields (as the tests name them) -> their connect.yaml names.
AUTH_FIELDS = {"parameter_name": "parameterName", "api_key_variable": "apiKeyVariable",
               "username_variable": "usernameVariable", "password_variable": "passwordVariable",
               "token_variable": "tokenVariable", "token_url_template": "tokenUrl",
               "client_id_variable": "clientIdVariable", "client_secret_variable": "clientSecretVariable",
               "scopes": "scopes"}


def connection_section(base_url: str, auth_type: str = "NONE", path: str = "/ping", method: str = "GET",
                       expected: Iterable[int] = (200,), headers: Mapping[str, str] | None = None,
                       **auth: Any) -> dict[str, Any]:
    """A connector's `connection` section (how an instance tests its connection): ``auth_type`` an
    AuthenticationType name without prefix, ``auth`` the ConnectionAuthentication fields by their proto
    names (api_key_variable=..., token_url_template=..., scopes=[...])."""
    authentication = {"type": auth_type.lower(), **{AUTH_FIELDS[name]: value for name, value in auth.items()}}
    test_request: dict[str, Any] = {"method": method, "path": path, "expectedStatus": list(expected)}
    if headers:
        test_request["headers"] = dict(headers)
    return {"baseUrl": base_url, "authentication": authentication, "testRequest": test_request}


class Connector:
    """A connector of the real catalog, private to ``project``: its first ``publish`` creates it (version
    1), each later one publishes the next version (instances following the latest version take it)."""

    def __init__(self, catalog, project: str = "acme") -> None:  # type: ignore[no-untyped-def]
        self.catalog = catalog
        self.project = project
        self.connector_id = ""

    def publish(self, spec: str, connection: Mapping[str, Any] | None = None) -> int:
        """Publish ``spec`` (and ``connection``) as the connector's next version; its number."""
        if self.connector_id:
            return publish_version(self.catalog, self.project, self.connector_id, spec, connection=connection)
        self.connector_id = publish(self.catalog, self.project, f"probe-{uuid.uuid4().hex[:10]}", spec,
                                    connection=connection)
        return 1


def pending(project="acme", name="inst", connector_id="c-1", created=T0, **changes) -> Instance:  # type: ignore[no-untyped-def]
    """A PENDING instance as the create protocol writes it."""
    base = Instance(
        id=str(uuid.uuid4()), project=project, name=name, connector_id=connector_id, connector_key="",
        connector_version=0, version_policy=VersionPolicy.FOLLOW_LATEST, timezone="UTC", date_format="Y-m-d",
        rate_limit_unit=RateLimitUnit.MINUTE, rate_limit_duration=1, state=InstanceState.PENDING, version=1,
        create_time=created, update_time=created,
    )
    return replace(base, **changes)


def share(catalog, owner: str, connector_id: str, *projects: str) -> int:  # type: ignore[no-untyped-def]
    """Let ``projects`` see ``owner``'s private connector (addPrivateProject, then a new publish, since a
    published version carries who may see it); the number of the version published."""
    draft = catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=connector_id, project=owner))
    Action = apb.ConnectorStagedUpdateAction
    edited = catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=connector_id, version=draft.version, project=owner,
        actions=[Action(add_private_project=Action.AddPrivateProject(private_project=f"eu.gcp:{project}"))
                 for project in projects]))
    published = publish_and_wait(catalog, edited, project=owner)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, list(published.publishing_report.entries)
    return published.published_version


def install(instances, project: str, connector_id: str = "", *, connector_key: str = "",  # type: ignore[no-untyped-def]
            version: int = 0, alongside: bool = False, request_id: str = ""):
    """InstallConnector in ``project`` (a project must install a connector it did not build before it
    creates instances of it); the Installation."""
    from plugboard.instance.v1 import instance_service_pb2 as ispb

    return instances.InstallConnector(ispb.InstallConnectorRequest(
        project=project, connector_id=connector_id, connector_key=connector_key, version=version,
        alongside=alongside, request_id=request_id))
