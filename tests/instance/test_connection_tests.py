"""TestInstanceConnection / ListConnectionTests over real gRPC against real HTTP servers on loopback.

The catalog is the real one, publishing connect.yaml files with `connection` sections from real git
repositories (``FaultyCatalog`` only injects the specifications it refuses to publish); the third-party
systems are ``ThirdParty`` (http.server); loopback is admitted by ``connection_test_allow_cidrs`` except
where the SSRF guard itself is tested. Deadlines are short so the suite stays quick.
"""

from __future__ import annotations

import logging

import grpc
import pytest

from instance_service.server import create_server as create_instance_server
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from tests.catalog.gitrepos import service_spec
from tests.harness import start_server
from tests.instance.conftest import TEST_KEYS
from tests.instance.faulty_catalog import FaultyCatalog, connection_spec, serve_faulty_catalog
from tests.instance.helpers import Connector, connection_section
from tests.instance.third_party import (
    API_KEY,
    BEARER,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USER,
    Canary,
    ThirdParty,
)
from tests.rich import expect_error

OK = ipb.CONNECTION_TEST_OUTCOME_OK
SECRET_KEYS = ("API_KEY", "USER", "PASS", "TOKEN", "CLIENT_ID", "CLIENT_SECRET")
TEST_TIMEOUT = 1.5


# The connector's connect.yaml: the standard key BASE and the secured SECRET_KEYS (``use`` adds a
# connection section).
SPEC = service_spec(standard=["BASE"], secured=SECRET_KEYS, required=["BASE"])


def _server(catalog_target, database_url, tmp_path, allow):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, instance_database_url=database_url, catalog_target=catalog_target,
                        secret_keys=TEST_KEYS, connection_test_allow_cidrs=allow,
                        connection_test_timeout_seconds=TEST_TIMEOUT, version_check_seconds=0)
    return start_server(lambda: create_instance_server(settings, port=0))


@pytest.fixture
def stub(catalog_server, database_url, tmp_path):
    server = _server(catalog_server.target, database_url, tmp_path, ("127.0.0.0/8",))
    yield igrpc.InstanceServiceStub(server.channel)
    server.stop()


@pytest.fixture
def strict_stub(catalog_server, database_url, tmp_path):
    """An instance server that admits no private address (the production default)."""
    server = _server(catalog_server.target, database_url, tmp_path, ())
    yield igrpc.InstanceServiceStub(server.channel)
    server.stop()


@pytest.fixture
def faulty(database_url, tmp_path):
    """An instance server whose catalog answers the specifications the real catalog refuses to publish."""
    fake = FaultyCatalog()
    fake.connector_id = "c-1"  # type: ignore[attr-defined]
    catalog = start_server(lambda: serve_faulty_catalog(fake))
    server = _server(catalog.target, database_url, tmp_path, ("127.0.0.0/8",))
    fake.stub = igrpc.InstanceServiceStub(server.channel)  # type: ignore[attr-defined]
    yield fake
    server.stop()
    catalog.stop()


def use(connector: Connector, base_url: str, auth_type: str = "NONE",  # type: ignore[no-untyped-def]
        **section) -> None:
    """Publish SPEC with a connection section as the connector's next version (``connection_section``'s
    arguments)."""
    connector.publish(SPEC, connection_section(base_url, auth_type, **section))


def create(stub, connector, base, test_connection=False, **secrets):  # type: ignore[no-untyped-def]
    variables = [ipb.Variable(key="BASE", value=base)] + [ipb.Variable(key=k, value=v) for k, v in secrets.items()]
    return stub.CreateInstance(ispb.CreateInstanceRequest(
        project="acme", test_connection=test_connection,
        instance=ipb.Instance(name="Shop", timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
                              rate_limit_duration=1, connector_id=connector.connector_id,
                              variables=variables)))


def run(stub, instance, timeout=10.0) -> ipb.ConnectionTestResult:  # type: ignore[no-untyped-def]
    return stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id=instance.id), timeout=timeout)


def outcome_name(result) -> str:  # type: ignore[no-untyped-def]
    return ipb.ConnectionTestOutcome.Name(result.outcome).removeprefix("CONNECTION_TEST_OUTCOME_")


AUTH_CASES = {
    "NONE": (dict(path="/none/ping"), {}, None),
    "API_KEY_HEADER": (dict(path="/key-header/ping", parameter_name="X-Api-Key", api_key_variable="API_KEY"),
                       {"API_KEY": API_KEY}, {"API_KEY": "wrong-key-123"}),
    "API_KEY_QUERY": (dict(path="/key-query/ping", parameter_name="api_key", api_key_variable="API_KEY"),
                      {"API_KEY": API_KEY}, {"API_KEY": "wrong-key-456"}),
    "BASIC": (dict(path="/basic/ping", username_variable="USER", password_variable="PASS"),
              {"USER": USER, "PASS": PASSWORD}, {"USER": USER, "PASS": "wrong-password"}),
    "BEARER": (dict(path="/bearer/ping", token_variable="TOKEN"), {"TOKEN": BEARER}, {"TOKEN": "wrong-token-789"}),
    "OAUTH2_CLIENT_CREDENTIALS": (
        dict(path="/oauth/ping", token_url_template="http://{BASE}/oauth/token", client_id_variable="CLIENT_ID",
             client_secret_variable="CLIENT_SECRET", scopes=["read"]),
        {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET},
        {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": "wrong-client-secret"}),
}


@pytest.mark.parametrize("auth_type", list(AUTH_CASES))
def test_each_authentication_type_succeeds_and_wrong_credentials_fail(stub, connector, third_party, auth_type, caplog):
    caplog.set_level(logging.DEBUG)
    section, good, bad = AUTH_CASES[auth_type]
    use(connector, "http://{BASE}", auth_type, **section)
    base = f"127.0.0.1:{third_party.port}"
    instance = create(stub, connector, base, **good)
    result = run(stub, instance)
    assert outcome_name(result) == "OK", result.message
    assert result.http_status == 200 and result.latency_ms >= 0 and result.connector_version == 1
    assert result.instance_id == instance.id and result.test_time.seconds > 0
    if auth_type == "OAUTH2_CLIENT_CREDENTIALS":  # a real token request came first
        assert [r[1] for r in third_party.requests][-2:] == ["/oauth/token", "/oauth/ping"]
    if bad is not None:
        wrong = create(stub, connector, base, **bad)
        failed = run(stub, wrong)
        assert outcome_name(failed) == "AUTH_FAILED", failed.message
        assert failed.http_status in (401, 403)
        secrets_used = list(good.values()) + list(bad.values())
        for text in (failed.message, result.message, caplog.text):
            assert not any(secret in text for secret in secrets_used if secret not in (USER, CLIENT_ID))
    got = stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))
    assert got.last_connection_test.id == result.id and got.last_connection_test.outcome == OK


def test_results_are_stored_newest_first_and_filterable(stub, connector, third_party):
    use(connector, "http://{BASE}", path="/teapot")
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}")
    first = run(stub, instance)
    assert outcome_name(first) == "UNEXPECTED_RESPONSE" and first.http_status == 418
    use(connector, "http://{BASE}", path="/none/ping")  # version 2; a read moves the instance to it
    moved = stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))
    assert moved.connector_version == 2
    ids = [first.id] + [run(stub, instance).id for _ in range(2)]
    page = stub.ListConnectionTests(ispb.ListConnectionTestsRequest(project="acme", instance_id=instance.id, page_size=2))
    assert [r.id for r in page.results] == ids[::-1][:2] and page.next_page_token
    rest = stub.ListConnectionTests(ispb.ListConnectionTestsRequest(
        project="acme", instance_id=instance.id, page_size=2, page_token=page.next_page_token))
    assert [r.id for r in rest.results] == [ids[0]] and not rest.next_page_token
    listed = stub.ListInstances(ispb.ListInstancesRequest(project="acme", last_test_outcome=OK))
    assert [i.id for i in listed.instances] == [instance.id]
    assert listed.instances[0].last_connection_test.id == ids[-1]
    assert stub.ListInstances(ispb.ListInstancesRequest(
        project="acme", last_test_outcome=ipb.CONNECTION_TEST_OUTCOME_UNEXPECTED_RESPONSE)).total == 0
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: stub.ListConnectionTests(
        ispb.ListConnectionTestsRequest(project="other", instance_id=instance.id)))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: stub.ListConnectionTests(
        ispb.ListConnectionTestsRequest(project="acme", instance_id=instance.id, page_size=101)))


def test_create_can_test_the_connection(stub, connector, third_party):
    use(connector, "http://{BASE}", path="/none/ping")
    created = create(stub, connector, f"127.0.0.1:{third_party.port}", test_connection=True)
    assert created.last_connection_test.outcome == OK


def test_a_slow_server_times_out_within_the_deadline(stub, connector, third_party):
    use(connector, "http://{BASE}", path="/slow")
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}")
    result = run(stub, instance)
    assert outcome_name(result) == "TIMEOUT" and result.http_status == 0
    assert result.latency_ms < 5000
    # The caller's deadline is shorter than the setting: the test still answers, within it (a quarter of
    # it is kept back to store the result and answer, so a busy database does not turn it into
    # DEADLINE_EXCEEDED).
    short = run(stub, instance, timeout=1.2)
    assert outcome_name(short) == "TIMEOUT" and short.latency_ms < 1200


def test_a_dripping_server_times_out(stub, connector, third_party):
    use(connector, "http://{BASE}", path="/drip")
    result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}"))
    assert outcome_name(result) == "TIMEOUT" and result.http_status == 200, result.message


def test_an_endless_body_is_cut_at_64_kib(stub, connector, third_party):
    use(connector, "http://{BASE}", path="/huge")
    result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}"))
    assert outcome_name(result) == "OK" and "64 KiB" in result.message, result.message
    assert third_party.huge_bytes_sent < 1024 ** 3  # the server stopped early: the client hung up


def test_a_redirect_to_a_private_address_is_blocked(stub, connector, third_party):
    for target in ("http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data", "http://[::ffff:10.0.0.1]/"):
        use(connector, "http://{BASE}", path="/redirect?to=" + target, expected=(200,))
        result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}"))
        assert outcome_name(result) == "BLOCKED", result.message
    # A redirect within the allowed networks is followed (and checked again).
    use(connector, "http://{BASE}", path=f"/redirect?to=http://127.0.0.1:{third_party.port}/none/ping")
    assert outcome_name(run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}"))) == "OK"


def test_credentials_are_not_carried_to_another_origin(stub, connector, third_party):
    other = ThirdParty()
    try:
        use(connector, "http://{BASE}", "BEARER", token_variable="TOKEN",
            path=f"/redirect?to=http://127.0.0.1:{other.port}/none/ping")
        result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}", TOKEN=BEARER))
        assert outcome_name(result) == "OK", result.message
        assert "authorization" not in other.requests[-1][2]
    finally:
        other.close()


BLOCKED_HOSTS = ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "[::1]",
                 "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "169.254.169.254", "10.0.0.1", "100.64.0.1", "0.0.0.0"]


def test_loopback_and_private_addresses_are_blocked_when_not_allowed(strict_stub, connector):
    canary = Canary()
    try:
        use(connector, "http://{BASE}", path="/ping")
        for host in BLOCKED_HOSTS:
            port = "" if host in ("169.254.169.254", "10.0.0.1", "100.64.0.1") else f":{canary.port}"
            result = run(strict_stub, create(strict_stub, connector, f"{host}{port}"))
            assert outcome_name(result) == "BLOCKED", (host, result.message)
        assert canary.connections == 0
    finally:
        canary.close()


def test_other_schemes_are_blocked(faulty, third_party):
    """The catalog publishes http(s) base URLs only; a specification with another scheme is blocked anyway."""
    for base_url in ("ftp://{BASE}", "file://{BASE}", "gopher://{BASE}"):
        faulty.spec = connection_spec(base_url, path="/none/ping")
        result = run(faulty.stub, create(faulty.stub, faulty, f"127.0.0.1:{third_party.port}"))
        assert outcome_name(result) == "BLOCKED" and "scheme" in result.message
    assert not third_party.requests


def test_misconfigured_instances_say_what_is_missing(stub, connector, third_party):
    use(connector, "http://{BASE}", "API_KEY_HEADER", path="/key-header/ping", parameter_name="X-Api-Key",
        api_key_variable="API_KEY")
    result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}"))  # API_KEY not set
    assert outcome_name(result) == "MISCONFIGURED" and "'API_KEY'" in result.message
    connector.publish(SPEC)  # no connection section
    result = run(stub, create(stub, connector, "x"))
    assert outcome_name(result) == "MISCONFIGURED"


def test_a_malformed_placeholder_is_misconfigured(faulty, third_party):
    """The catalog refuses to publish a broken placeholder; the instance service says so anyway."""
    faulty.spec = connection_spec("http://{BASE", path="/none/ping")
    result = run(faulty.stub, create(faulty.stub, faulty, f"127.0.0.1:{third_party.port}"))
    assert outcome_name(result) == "MISCONFIGURED" and "malformed placeholder" in result.message


def test_unreachable_hosts(stub, connector):
    canary = Canary()
    port = canary.port
    canary.close()  # nothing listens there any more
    use(connector, "http://{BASE}", path="/none/ping")
    result = run(stub, create(stub, connector, f"127.0.0.1:{port}"))
    assert outcome_name(result) == "UNREACHABLE", result.message
    result = run(stub, create(stub, connector, "no-such-host.invalid"))
    assert outcome_name(result) == "UNREACHABLE", result.message


def test_errors_of_the_rpc_itself(stub):
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: stub.TestInstanceConnection(
        ispb.TestInstanceConnectionRequest(project="acme", id="missing")))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: stub.TestInstanceConnection(
        ispb.TestInstanceConnectionRequest(project="", id="")))


def test_a_customised_installation_tests_with_its_own_request(stub, connector, third_party):
    """Issue 16, point 3: the installation's test request (path, statuses, headers from settings) is the one
    sent; the base URL and the authentication stay the published ones."""
    from plugboard.instance.v1 import installation_pb2 as inpb

    use(connector, "http://{BASE}", path="/teapot")
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}")
    assert outcome_name(run(stub, instance)) == "UNEXPECTED_RESPONSE"
    stub.CustomiseInstallation(ispb.CustomiseInstallationRequest(
        project="acme", id=instance.installation_id, customisation=inpb.InstallationCustomisation(
            connection_test=inpb.ConnectionTestCustomisation(path="/none/ping", headers={"X-Base": "{BASE}"}))))
    result = run(stub, instance)
    assert outcome_name(result) == "OK", result.message
    method, path, headers = third_party.requests[-1]
    assert (method, path) == ("GET", "/none/ping") and headers["x-base"] == f"127.0.0.1:{third_party.port}"
