"""The SSRF guard's address rules and the request plan, on their own (no network beyond the resolver)."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from instance_service.domain.connection import (
    Authentication,
    AuthType,
    ConnectionSpec,
    Misconfigured,
    build_plan,
    describe_url,
)
from instance_service.probe.addresses import AddressPolicy, Blocked, is_public, legacy_ipv4


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::",
                                     "fe80::1", "fc00::1", "fd12::1", "::ffff:127.0.0.1", "64:ff9b::a00:1",
                                     "2002:a00:1::", "2001::1", "192.0.2.1", "ff02::1"])
def test_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("host, meaning", [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
                                           ("0177.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"),
                                           ("0x7f000001", "127.0.0.1"), ("10.1", "10.0.0.1")])
def test_legacy_spellings_are_recognised_and_refused(host, meaning):
    assert str(legacy_ipv4(host)) == meaning
    with pytest.raises(Blocked, match=meaning):
        asyncio.run(AddressPolicy(("0.0.0.0/0",)).check(f"http://{host}/"))


def test_the_allow_list_admits_its_networks_only():
    policy = AddressPolicy(("127.0.0.0/8",))
    assert asyncio.run(policy.check("http://127.0.0.1:8080/x")).address == "127.0.0.1"
    assert asyncio.run(policy.check("http://[::ffff:127.0.0.1]/")).address == "::ffff:7f00:1"
    for url in ("http://10.0.0.1/", "http://[::1]/", "ftp://127.0.0.1/", "http:///nohost"):
        with pytest.raises(Blocked):
            asyncio.run(policy.check(url))


def test_api_key_in_the_query_is_never_shown():
    spec = ConnectionSpec(base_url_template="https://{HOST}/api", path="/items/{ACCOUNT}",
                          authentication=Authentication(type=AuthType.API_KEY_QUERY, parameter_name="key",
                                                        api_key_variable="KEY"))
    plan = build_plan(spec, {"HOST": "shop.example", "ACCOUNT": "a b", "KEY": "s3cr3t"}, {"KEY"})
    assert plan.url == "https://shop.example/api/items/a%20b?key=s3cr3t"
    assert "s3cr3t" not in repr(plan) and "s3cr3t" not in describe_url(plan.url)
    with pytest.raises(Misconfigured, match="'KEY'"):
        build_plan(spec, {"HOST": "shop.example", "ACCOUNT": "a"}, {"KEY"})
    with pytest.raises(Misconfigured, match="user info"):
        build_plan(ConnectionSpec(base_url_template="https://u:p@{HOST}"), {"HOST": "h"}, set())
