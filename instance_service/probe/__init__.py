"""Connection test I/O: the SSRF guard (``addresses``), the pinned httpx transport (``transport``) and the
prober that runs a request plan and classifies the outcome (``prober``)."""

from .addresses import AddressPolicy, Blocked, Unresolvable, is_public, legacy_ipv4
from .prober import Prober

__all__ = ["AddressPolicy", "Blocked", "Prober", "Unresolvable", "is_public", "legacy_ipv4"]
