"""Page tokens of ListInstances and ListConnectionTests over real gRPC, on SQLite and PostgreSQL: signed
by the server's key, every tampered form INVALID_ARGUMENT on page_token (never INTERNAL), and a
process started later on the same data directory (the same key) still accepts them. The instances are
of a connector published by the real catalog, their connection tests run against ``ThirdParty``."""

from __future__ import annotations

import grpc

from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from plugboard.storage.paging import PageTokens
from tests.instance.test_connection_tests import _server, create, run, stub, use  # noqa: F401
from tests.page_tokens import assert_all_refused, content
from tests.rich import expect_error, fields


def test_list_instances_tokens_are_signed_and_checked(stub, connector, third_party, tmp_path):  # noqa: F811
    use(connector, "http://{BASE}", path="/none/ping")
    for _ in range(3):
        create(stub, connector, f"127.0.0.1:{third_party.port}")

    def page(token: str, per_page: int = 1) -> ispb.ListInstancesResponse:
        return stub.ListInstances(ispb.ListInstancesRequest(project="acme", per_page=per_page, page_token=token))

    first = page("")
    assert first.next_page_token and content(first.next_page_token)["o"] == 1
    second = page(first.next_page_token)
    assert second.page == 2 and second.instances[0].id != first.instances[0].id
    assert_all_refused(first.next_page_token, PageTokens.from_settings(Settings(data_dir=tmp_path)), page)


def test_a_token_from_a_page_of_another_size_or_sort_is_refused(stub, connector, third_party):  # noqa: F811
    use(connector, "http://{BASE}", path="/none/ping")
    for _ in range(2):
        create(stub, connector, f"127.0.0.1:{third_party.port}")
    token = stub.ListInstances(ispb.ListInstancesRequest(project="acme", per_page=1)).next_page_token
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: stub.ListInstances(
        ispb.ListInstancesRequest(project="acme", per_page=1, sort="-name", page_token=token)))
    assert fields(error) == {"page_token"} and "different list parameters" in error.message


def test_list_connection_tests_tokens_are_signed_and_checked(stub, connector, third_party, tmp_path):  # noqa: F811
    use(connector, "http://{BASE}", path="/none/ping")
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}")
    for _ in range(3):
        run(stub, instance)

    def page(token: str) -> ispb.ListConnectionTestsResponse:
        return stub.ListConnectionTests(ispb.ListConnectionTestsRequest(
            project="acme", instance_id=instance.id, page_size=1, page_token=token))

    first = page("")
    assert first.next_page_token and len(page(first.next_page_token).results) == 1
    assert_all_refused(first.next_page_token, PageTokens.from_settings(Settings(data_dir=tmp_path)), page)


def test_tokens_stay_valid_for_a_server_started_later_on_the_same_key(catalog_server, connector, third_party,
                                                                      database_url, tmp_path):
    use(connector, "http://{BASE}", path="/none/ping")
    data = tmp_path / "instance"  # the instance servers' own data directory (the catalog keeps its key in tmp_path)
    data.mkdir()
    server = _server(catalog_server.target, database_url, data, ("127.0.0.0/8",))
    try:
        stub = igrpc.InstanceServiceStub(server.channel)  # noqa: F811
        for _ in range(2):
            create(stub, connector, f"127.0.0.1:{third_party.port}")
        token = stub.ListInstances(ispb.ListInstancesRequest(project="acme", per_page=1)).next_page_token
    finally:
        server.stop()
    assert (data / "page-token.key").stat().st_mode & 0o777 == 0o600
    later = _server(catalog_server.target, database_url, data, ("127.0.0.0/8",))
    try:
        stub = igrpc.InstanceServiceStub(later.channel)
        assert stub.ListInstances(ispb.ListInstancesRequest(project="acme", per_page=1, page_token=token)).page == 2
    finally:
        later.stop()


def test_a_deep_page_number_is_an_empty_page_not_an_error(stub):  # noqa: F811
    response = stub.ListInstances(ispb.ListInstancesRequest(project="acme", page=2**31 - 1, per_page=100))
    assert list(response.instances) == [] and response.page == 2**31 - 1 and not response.next_page_token
