"""Shared steps of the gateway tests: a published connector and an instance of it, through the gateway."""

from __future__ import annotations

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from tests.catalog.gitrepos import publish_and_wait, shared_repo_url


def publish(catalog, key: str, project: str = "acme", shared_with: tuple[str, ...] = ()) -> str:  # type: ignore[no-untyped-def]
    """A published (private) connector created by ``project``, visible to ``shared_with`` too; its id."""
    draft = catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
        project=project,
        draft=spb.ConnectorStagedDraft(
            key=key, name="Shop sync", creator=spb.Creator(email="dev@example.com"),
            repository=spb.Repository(url=shared_repo_url(), tag="v1.0.0"),
            private_projects=list(shared_with),
        ),
    ))
    published = publish_and_wait(catalog, draft, project=project)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, list(published.publishing_report.entries)
    return draft.id


def instance_body(connector_id: str, name: str) -> ipb.Instance:
    return ipb.Instance(
        name=name, connector_id=connector_id, timezone="Europe/London", date_format="Y-m-d",
        rate_limit_unit=ipb.RATE_LIMIT_UNIT_MINUTE, rate_limit_duration=1,
        variables=[ipb.Variable(key="SHOP_DOMAIN", value="shop.example.com"),
                   ipb.Variable(key="API_TOKEN", value="t0ken", secret=True)],
    )


def add_instance(instances, connector_id: str, name: str, project: str = "acme", **kwargs) -> ipb.Instance:  # type: ignore[no-untyped-def]
    return instances.CreateInstance(ispb.CreateInstanceRequest(
        project=project, request_id=f"req-{connector_id}-{name}", instance=instance_body(connector_id, name)),
        **kwargs)


def install(instances, connector_id: str, project: str = "acme", **kwargs):  # type: ignore[no-untyped-def]
    """InstallConnector: a project installs a connector it did not build before it adds instances of it."""
    return instances.InstallConnector(ispb.InstallConnectorRequest(project=project, connector_id=connector_id),
                                      **kwargs)
