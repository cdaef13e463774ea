"""The benchmark scenarios: which server each calls, which method, with which prepared requests.

Requests are built and serialized here once per run; the load generator only sends bytes. Reads rotate
over the whole seeded data set (no scenario hits one hot row); writes are arranged so that concurrent
calls never fight over one row (each worker updates its own draft, with the versions it will reach).
``involved`` names the servers whose CPU time a call costs (a create costs the instance service and
the catalog's usability check; a call through the gateway costs the gateway and the backend).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb  # noqa: F401  (registers the draft types)
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb

CATALOG = "/plugboard.catalog.v1.CatalogService/"
INSTANCE = "/plugboard.instance.v1.InstanceService/"
PAGE = 20


@dataclass
class Context:
    """What the scenarios need from the run: the seed manifest and what the harness looked up."""

    manifest: dict
    max_concurrency: int
    calls_hint: int  # about how many calls one worker may make in a run (write sequences)
    api_key: str | None = None
    deep_offset: int = 0
    deep_token: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def project(self) -> str:
        return self.manifest["project"]

    @property
    def connectors(self) -> list[dict]:
        return self.manifest["connectors"]


@dataclass(frozen=True)
class Scenario:
    name: str
    via: str  # the server called: echo, echo_frame, catalog, instance, gateway, http
    method: str  # gRPC method path, or the HTTP path template
    involved: tuple[str, ...]
    build: Callable[[Context], dict]  # {"requests": [bytes]} or {"sequences": [[bytes]]}
    expect: str = "OK"
    writes: bool = False

    @property
    def through_gateway(self) -> bool:
        return self.via in ("gateway", "http")


def _ser(messages) -> list[bytes]:  # type: ignore[no-untyped-def]
    return [m.SerializeToString() for m in messages]


def _get_by_id(ctx: Context) -> dict:
    return {"requests": _ser(cpb.GetConnectorRequest(id=c["id"], project=ctx.project) for c in ctx.connectors)}


def _get_by_key(ctx: Context) -> dict:
    return {"requests": _ser(cpb.GetConnectorByKeyRequest(key=c["key"], project=ctx.project) for c in ctx.connectors)}


def _list_first(ctx: Context) -> dict:
    return {"requests": _ser([cpb.ListConnectorsRequest(limit=PAGE, project=ctx.project)])}


def _list_deep_offset(ctx: Context) -> dict:
    return {"requests": _ser([cpb.ListConnectorsRequest(limit=PAGE, offset=ctx.deep_offset, project=ctx.project)])}


def _list_deep_token(ctx: Context) -> dict:
    return {"requests": _ser([cpb.ListConnectorsRequest(limit=PAGE, page_token=ctx.deep_token, project=ctx.project)])}


def _search(ctx: Context) -> dict:
    return {"requests": _ser([cpb.ListConnectorsRequest(limit=PAGE, text=ctx.manifest["search_word"],
                                                        project=ctx.project)])}


def _get_instance(ctx: Context) -> dict:
    return {"requests": _ser(ispb.GetInstanceRequest(project=ctx.project, id=i)
                             for i in ctx.manifest["acme_instances"])}


def _list_instances(ctx: Context) -> dict:
    return {"requests": _ser(ispb.ListInstancesRequest(project=ctx.project, connector_id=c, per_page=PAGE)
                             for c in ctx.manifest["popular"])}


def _create_instance(ctx: Context) -> dict:
    return {"requests": _ser(
        ispb.CreateInstanceRequest(project=ctx.project, instance=ipb.Instance(
            name=f"bench create {n}", connector_id=c, timezone="Europe/Berlin", date_format="Y-m-d",
            rate_limit_unit=ipb.RATE_LIMIT_UNIT_MINUTE, rate_limit_duration=1,
            variables=[ipb.Variable(key="API_TOKEN", value=f"token-{n:08d}-abcdefghijklmnop", secret=True),
                       ipb.Variable(key="WEBHOOK_SECRET", value=f"whsec-{n:08d}", secret=True),
                       ipb.Variable(key="REGION", value="eu")],
        ))
        for n, c in enumerate(ctx.manifest["popular"] * 10)
    )}


def _update_draft(ctx: Context) -> dict:
    """One draft per worker (the last connectors, used by no other write), each request with the next
    version; worker 0 gets the longest list (it runs alone at concurrency 1)."""
    sequences = []
    for worker in range(ctx.max_concurrency):
        connector = ctx.connectors[-(worker + 1)]
        length = ctx.calls_hint if worker == 0 else max(50, 4 * ctx.calls_hint // ctx.max_concurrency)
        start = connector["draft_version"]
        sequences.append(_ser(
            cpb.UpdateConnectorStagedRequest(
                id=connector["id"], version=start + n, project=ctx.project,
                actions=[apb.ConnectorStagedUpdateAction(
                    set_description=apb.ConnectorStagedUpdateAction.SetDescription(description=f"revision {n}"))],
            )
            for n in range(length)
        ))
    return {"sequences": sequences}


def _refused_delete(ctx: Context) -> dict:
    return {"requests": _ser(cpb.DeleteConnectorRequest(id=c, project=ctx.project)
                             for c in ctx.manifest["referenced"])}


def _http_get(ctx: Context) -> dict:
    auth = f"Authorization: Bearer {ctx.api_key}\r\n" if ctx.api_key else ""
    return {"requests": [
        (f"GET /connectors/{c['id']} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Accept: application/json\r\n\r\n").encode()
        for c in ctx.connectors
    ]}


def _echo(ctx: Context) -> dict:
    return {"requests": _ser(cpb.GetConnectorRequest(id=c["id"], project=ctx.project) for c in ctx.connectors)}


SCENARIOS: list[Scenario] = [
    Scenario("echo", "echo", "/bench.Echo/Echo", ("echo",), _echo),
    Scenario("echo_plugboard_frame", "echo_frame", "/bench.Echo/Echo", ("echo_frame",), _echo),
    Scenario("get_connector_by_id", "catalog", CATALOG + "GetConnector", ("catalog",), _get_by_id),
    Scenario("get_connector_by_key", "catalog", CATALOG + "GetConnectorByKey", ("catalog",), _get_by_key),
    Scenario("gateway_get_connector_by_id", "gateway", CATALOG + "GetConnector", ("gateway", "catalog"), _get_by_id),
    Scenario("gateway_get_connector_by_key", "gateway", CATALOG + "GetConnectorByKey", ("gateway", "catalog"),
             _get_by_key),
    Scenario("list_connectors_first_page", "catalog", CATALOG + "ListConnectors", ("catalog",), _list_first),
    Scenario("list_connectors_deep_offset", "catalog", CATALOG + "ListConnectors", ("catalog",), _list_deep_offset),
    Scenario("list_connectors_deep_token", "catalog", CATALOG + "ListConnectors", ("catalog",), _list_deep_token),
    Scenario("search_connectors", "catalog", CATALOG + "ListConnectors", ("catalog",), _search),
    Scenario("get_instance", "instance", INSTANCE + "GetInstance", ("instance",), _get_instance),
    Scenario("list_instances_by_connector", "instance", INSTANCE + "ListInstances", ("instance",), _list_instances),
    Scenario("http_get_connector", "http", "/connectors/{id}", ("gateway", "catalog"), _http_get),
    # Writes last: they change what the reads above would see.
    Scenario("update_connector_staged", "catalog", CATALOG + "UpdateConnectorStaged", ("catalog",), _update_draft,
             writes=True),
    Scenario("create_instance", "instance", INSTANCE + "CreateInstance", ("instance", "catalog"), _create_instance,
             writes=True),
    Scenario("gateway_delete_connector_refused", "gateway", CATALOG + "DeleteConnector",
             ("gateway", "catalog", "instance"), _refused_delete, expect="FAILED_PRECONDITION", writes=True),
]

BY_NAME = {s.name: s for s in SCENARIOS}
