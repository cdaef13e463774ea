"""Secrets in connection tests, by template position: what crosses an origin, what a message shows, what
cannot be sent (issue 13, points 1, 6 and 9). Real gRPC, the instance server on SQLite and PostgreSQL,
the real catalog publishing each test's `connection` section, two real loopback HTTP servers
(``ThirdParty``): the origin, and another port it redirects to.
"""

from __future__ import annotations

import base64
import logging

import pytest

from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from tests.catalog.gitrepos import service_spec
from tests.instance.helpers import connection_section
from tests.instance.test_connection_tests import outcome_name, run, stub  # noqa: F401
from tests.instance.third_party import ThirdParty

SECRET = "s3cr3t-" + "T0k3n" * 3
SPEC = service_spec(standard=["BASE", "ACCOUNT"], secured=["API_TOKEN", "PASS"], required=["BASE"])


@pytest.fixture
def other():
    """The second origin: the same kind of server on another port."""
    server = ThirdParty()
    yield server
    server.close()


def use(connector, base_url, auth_type="NONE", **section):  # type: ignore[no-untyped-def]
    """Publish SPEC with this connection section (``connection_section``'s arguments)."""
    connector.publish(SPEC, connection_section(base_url, auth_type, **section))


def create(stub, connector, base, **variables):  # type: ignore[no-untyped-def]
    given = [ipb.Variable(key="BASE", value=base)] + [ipb.Variable(key=k, value=v) for k, v in variables.items()]
    return stub.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
        name="Shop", timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
        rate_limit_duration=1, connector_id=connector.connector_id, variables=given)))


def seen_by(server: ThirdParty) -> str:
    return "\n".join(f"{method} {path} {headers}" for method, path, headers in server.requests)


def stored_texts(stub, instance) -> list[str]:  # type: ignore[no-untyped-def]
    """Every message the service keeps about the instance's tests: the list and the last result."""
    tests = stub.ListConnectionTests(ispb.ListConnectionTestsRequest(project="acme", instance_id=instance.id))
    got = stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))
    return [r.message for r in tests.results] + [got.last_connection_test.message]


# ------------------------------------------------------------------------------- 13.1 cross origin


@pytest.mark.parametrize("header,template", [
    ("X-Token", "{API_TOKEN}"),
    ("Authorization", "Bearer {API_TOKEN}"),
])
def test_a_header_rendered_from_a_secret_never_reaches_another_origin(stub, connector, third_party, other,
                                                                     header, template):
    # Issue 13.1: any header rendered from a secret variable is credential material, whatever its name,
    # with authentication "none": dropped on a redirect that leaves the origin.
    use(connector, "http://{BASE}", path=f"/redirect?to=http://127.0.0.1:{other.port}/none/ping",
        headers={header: template, "X-Account": "{ACCOUNT}"})
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}", API_TOKEN=SECRET, ACCOUNT="acct-7")
    result = run(stub, instance)
    assert outcome_name(result) == "OK", result.message
    assert SECRET in seen_by(third_party)  # the origin got it: the test really used the secret
    assert other.requests and SECRET not in seen_by(other)
    assert header.lower() not in other.requests[-1][2]
    assert other.requests[-1][2]["x-account"] == "acct-7"  # a header from a setting is kept


def test_a_secret_header_is_kept_on_the_same_origin(stub, connector, third_party):
    use(connector, "http://{BASE}", path=f"/redirect?to=http://127.0.0.1:{third_party.port}/none/ping",
        headers={"X-Token": "{API_TOKEN}"})
    result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}", API_TOKEN=SECRET))
    assert outcome_name(result) == "OK", result.message
    assert [r[2].get("x-token") for r in third_party.requests] == [SECRET, SECRET]


@pytest.mark.parametrize("base_url,path", [
    ("http://{BASE}", "/moved/ping?token={API_TOKEN}"),  # a query parameter
    ("http://{BASE}", "/moved/{API_TOKEN}/ping"),  # a path segment
    ("http://{BASE}/moved/{API_TOKEN}", "/ping"),  # a segment of the base URL
])
def test_a_url_carrying_a_secret_follows_no_redirect_to_another_origin(stub, connector, third_party, other,
                                                                      base_url, path, caplog):
    # Issue 13.1: a query parameter or path segment rendered from a secret is credential material; the
    # origin answers 301 to the other server with the same path and query.
    caplog.set_level(logging.DEBUG)  # the Location header echoes the secret: no log line may show it
    third_party.moved_to = other.base
    use(connector, base_url, path=path)
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}", API_TOKEN=SECRET)
    result = run(stub, instance)
    assert SECRET in seen_by(third_party)
    assert not other.requests, seen_by(other)
    assert outcome_name(result) == "UNEXPECTED_RESPONSE" and result.http_status == 301
    assert "another origin" in result.message and "API_TOKEN" in result.message
    assert all(SECRET not in text for text in stored_texts(stub, instance) + [caplog.text])


def test_the_api_key_query_parameter_follows_no_redirect_to_another_origin(stub, connector, third_party, other):
    third_party.moved_to = other.base
    use(connector, "http://{BASE}", "API_KEY_QUERY", path="/moved/ping", parameter_name="api_key",
        api_key_variable="API_TOKEN")
    result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}", API_TOKEN=SECRET))
    assert outcome_name(result) == "UNEXPECTED_RESPONSE" and not other.requests


def test_a_url_without_secrets_still_follows_redirects_to_another_origin(stub, connector, third_party, other):
    third_party.moved_to = other.base
    use(connector, "http://{BASE}", path="/moved/none/ping", headers={"X-Token": "{API_TOKEN}"})
    result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}", API_TOKEN=SECRET))
    assert outcome_name(result) == "OK", result.message
    assert other.requests and SECRET not in seen_by(other)


# --------------------------------------------------------------------------- 13.9 message positions


@pytest.mark.parametrize("secret", ["tok-AAAA#BBBB?CCCC", "tok-AAAA?BBBB#CCCC", "tok AAAA/BBBB&CCCC=DDDD"])
def test_messages_show_secret_parts_of_a_url_by_their_placeholder(stub, connector, third_party, secret, caplog):
    # Issue 13.9: baseUrl "http://{SHOP_DOMAIN}/{API_TOKEN}/v1" with a secret containing # or ?: no
    # part of it in stored results, errors or log lines (DEBUG, so SQL parameters too).
    caplog.set_level(logging.DEBUG)
    use(connector, "http://{BASE}/{API_TOKEN}/v1", path="/ping")
    caplog.clear()  # the catalog's publishing logs "token_variable" & co., before any secret exists
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}", API_TOKEN=secret)
    result = run(stub, instance)
    assert outcome_name(result) == "UNEXPECTED_RESPONSE" and result.http_status == 404
    assert result.message == f"GET http://127.0.0.1:{third_party.port}/{{API_TOKEN}}/v1/ping answered HTTP 404, " \
                             "expected 200"
    # The value went into the path percent-encoded, whole: the URL's structure is the template's.
    assert third_party.requests[-1][1].startswith("/tok")
    assert third_party.requests[-1][1].endswith("/v1/ping")
    fragments = [part for part in secret.replace("?", "#").replace("/", "#").replace("&", "#").replace("=", "#")
                 .replace(" ", "#").split("#")]
    for text in stored_texts(stub, instance) + [caplog.text]:
        for fragment in fragments:
            assert fragment not in text, (fragment, text[:200])


def test_a_secret_host_is_named_by_its_placeholder(stub, connector):
    use(connector, "http://{API_TOKEN}.invalid", path="/ping")
    instance = create(stub, connector, "unused", API_TOKEN="secret-host-name-42")
    result = run(stub, instance)
    assert outcome_name(result) == "UNREACHABLE"
    assert result.message == "host {API_TOKEN}.invalid could not be resolved"


def test_a_hop_after_redirecting_a_secret_url_is_named_by_its_origin(stub, connector, third_party):
    # The server copies the secret path into its Location (same origin, followed): the message names the
    # origin only, not the path it chose.
    use(connector, "http://{BASE}", path="/moved/{API_TOKEN}")
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}", API_TOKEN=SECRET)
    result = run(stub, instance)
    assert outcome_name(result) == "UNEXPECTED_RESPONSE" and result.http_status == 404, result.message
    assert result.message == (f"GET 127.0.0.1:{third_party.port} (after 1 redirect) answered HTTP 404, "
                              "expected 200")


# ---------------------------------------------------------------------------- 13.6 non-ASCII values


@pytest.mark.parametrize("secret", ["tok€n", "café-token", "tab\u00a0space"])
@pytest.mark.parametrize("auth,section", [
    ("BEARER", dict(path="/bearer/ping", token_variable="API_TOKEN")),
    ("API_KEY_HEADER", dict(path="/key-header/ping", parameter_name="X-Api-Key", api_key_variable="API_TOKEN")),
    ("NONE", dict(path="/none/ping", headers={"X-Token": "Token {API_TOKEN}"})),
])
def test_a_secret_that_http_cannot_carry_is_a_stored_misconfigured_result(stub, connector, third_party, auth, section,
                                                                         secret, caplog):
    # Issue 13.6: a bearer token with € or é cannot be sent: MISCONFIGURED, stored like any other
    # result, naming the variable, never its value; never INTERNAL.
    caplog.set_level(logging.DEBUG)
    use(connector, "http://{BASE}", auth, **section)
    instance = create(stub, connector, f"127.0.0.1:{third_party.port}", API_TOKEN=secret)
    result = run(stub, instance)
    assert outcome_name(result) == "MISCONFIGURED", result.message
    assert "'API_TOKEN'" in result.message and "ASCII" in result.message
    assert not third_party.requests  # nothing was sent
    tests = stub.ListConnectionTests(ispb.ListConnectionTestsRequest(project="acme", instance_id=instance.id))
    assert [r.id for r in tests.results] == [result.id]
    for text in stored_texts(stub, instance) + [caplog.text]:
        assert secret not in text and secret[:3] + secret[4:] not in text


def test_basic_authentication_sends_any_character_as_utf8(stub, connector, third_party):
    # RFC 7617: basic credentials are UTF-8, so a password with € can be sent (the server says no).
    use(connector, "http://{BASE}", "BASIC", path="/basic/ping", username_variable="ACCOUNT", password_variable="PASS")
    result = run(stub, create(stub, connector, f"127.0.0.1:{third_party.port}", ACCOUNT="jörg", PASS="pässwörd€"))
    assert outcome_name(result) == "AUTH_FAILED" and result.http_status == 401
    sent = third_party.requests[-1][2]["authorization"].removeprefix("Basic ")
    assert base64.b64decode(sent).decode("utf-8") == "jörg:pässwörd€"
