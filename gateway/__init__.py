"""The gateway: the one entry for external callers.

It serves ``plugboard.catalog.v1.CatalogService``, ``plugboard.catalog.v1.CertificationService`` and
``plugboard.instance.v1.InstanceService`` under their own names, so a caller moves from a backend to the
gateway by changing the address only.

- ``gateway.forwarding``: pass-through of raw request/response bytes to a backend, for all four
  cardinalities, with the caller's metadata, deadline and cancellation; backend errors come back
  unchanged with their rich details.
- ``gateway.routes``: which method is forwarded, which is internal (PERMISSION_DENIED here) and which the
  gateway serves itself (``DeleteConnector``); builds the generic handlers of the three services.
- ``gateway.deletion``: the deletion protocol of DESIGN.md, in plain Python over two small ports.
- ``gateway.backends``: the long-lived channel per backend and the gRPC adapters of those ports.
- ``gateway.server``: ``create_server`` / ``serve``.

Authentication (API keys), authorization per method and the HTTP/JSON facade come with issue 5; the seam
for them is the ``guard`` of ``gateway.forwarding`` (a coroutine that may refuse any call).
"""
