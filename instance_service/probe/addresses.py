"""The SSRF guard: which hosts and addresses a connection test may reach.

Rules (applied to the first request, to the token request and to every redirect hop):

- Only ``http`` and ``https`` URLs.
- A host written as a number in any other spelling than canonical dotted-quad or IPv6 ("2130706433",
  "0x7f.1", "0177.0.0.1", "127.1") is refused: resolvers read them as addresses (inet_aton), which is
  how such spellings sneak past checks. The refusal names the address it would have been.
- The name is resolved here (``getaddrinfo``); every address it resolves to must be public, unless it
  lies in one of the allowed networks (the ``connection_test_allow_cidrs`` setting). Not public:
  private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16 incl. the cloud
  metadata address 169.254.169.254, fe80::/10), shared address space (100.64/10), multicast, reserved,
  unspecified, documentation and benchmark ranges (everything ``ipaddress`` does not call global), and
  IPv6 forms that embed an IPv4 address (::ffff:0:0/96 mapped, 64:ff9b::/96 NAT64, 2002::/16 6to4)
  are judged by that IPv4 address; Teredo (2001::/32) is refused.
- The connection then goes to the address that was checked (``transport.PinnedTransport``), never to a
  second resolution of the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TEREDO = ipaddress.ip_network("2001::/32")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class Blocked(Exception):
    """The URL may not be reached; the message says why (host and address, no path or query)."""


class Unresolvable(Exception):
    """The host name does not resolve."""


@dataclass(frozen=True)
class Target:
    """A checked URL: the host as written, the port, and the address to connect to."""

    scheme: str
    host: str
    port: int
    address: str


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The allow-list; ValueError naming a malformed entry."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"connection_test_allow_cidrs entry {cidr!r} is not a CIDR") from None
    return tuple(networks)


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address an inet_aton-style spelling means ("2130706433", "0x7f.1", "0177.0.0.1"), else None."""
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.match(p) for p in parts):
        return None
    try:
        numbers = [_number(part) for part in parts]
    except ValueError:  # "08": not octal; glibc refuses it too, so do we
        raise Blocked(f"host {host!r} is a malformed numeric address") from None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        raise Blocked(f"host {host!r} is a malformed numeric address")
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


def _number(part: str) -> int:
    """One part of an inet_aton spelling: 0x.. hexadecimal, 0.. octal, else decimal."""
    if part.lower().startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def is_public(address: IPAddress) -> bool:
    """True when the address is a public unicast one (see the module docstring)."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
    if isinstance(address, ipaddress.IPv6Address) and address in _TEREDO:
        return False
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return False
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified
    )


class AddressPolicy:
    """Checks URLs against the rules of the module docstring."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self._allow = parse_networks(allow)

    def allowed(self, address: IPAddress) -> bool:
        candidates = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        if any(c in network for c in candidates for network in self._allow if c.version == network.version):
            return True
        return is_public(address)

    def _judge(self, host: str, address: IPAddress, label: str = "") -> None:
        if not self.allowed(address):
            if label:  # the host came from a secret: name it by its placeholder only
                shown = label if host.strip("[]") == str(address) else f"{label} ({address})"
            else:
                shown = host if host == str(address) else f"{host} ({address})"
            raise Blocked(f"address {shown} is not public (private, loopback, link-local or reserved)")

    async def check(self, url: str, label: str = "") -> Target:
        """The target to connect to; Blocked or Unresolvable. ``label`` stands for the host in messages
        (the prober passes the placeholder when the host came from a secret variable)."""
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            host = (parts.hostname or "").lower()
            port = parts.port
        except ValueError:
            raise Blocked("the URL cannot be parsed") from None
        if scheme not in ("http", "https"):
            shown = "of the URL" if label else repr(scheme or "(none)")
            raise Blocked(f"scheme {shown} is not allowed: only http and https")
        if not host:
            raise Blocked("the URL has no host")
        port = port or (443 if scheme == "https" else 80)
        literal = _ip_literal(host)
        if literal is not None:
            self._judge(host, literal, label)
            return Target(scheme, host, port, str(literal))
        try:
            legacy = legacy_ipv4(host)
        except Blocked:
            if label:
                raise Blocked(f"host {label} is a malformed numeric address") from None
            raise
        if legacy is not None:
            if label:
                raise Blocked(f"host {label} is a non-canonical spelling of a numeric address")
            raise Blocked(f"host {host!r} is a non-canonical spelling of address {legacy}; write it as {legacy}")
        addresses = await _resolve(host, port, label)
        for address in addresses:
            self._judge(host, address, label)
        return Target(scheme, host, port, str(addresses[0]))


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def _resolve(host: str, port: int, label: str = "") -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    shown = label or repr(host)
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Unresolvable(f"host {shown} could not be resolved") from None
    addresses: list[IPAddress] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolvable(f"host {shown} has no IPv4 or IPv6 address")
    return addresses
