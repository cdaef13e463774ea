"""The gateway: the one entry for external callers.

It serves ``plugboard.catalog.v1.CatalogService``, ``plugboard.catalog.v1.CertificationService`` and
``plugboard.instance.v1.InstanceService`` under their own names, so a caller moves from a backend to the
gateway by changing the address only.

- ``gateway.forwarding``: pass-through of raw request/response bytes to a backend, for all four
  cardinalities, with the caller's metadata, deadline and cancellation; backend errors come back
  unchanged with their rich details.
- ``gateway.routes``: which method is forwarded, which is internal (PERMISSION_DENIED here) and which the
  gateway serves itself (``DeleteConnector``, ``DeleteConnectorStaged(ByKey)``: the deletion protocol);
  builds the generic handlers of the three services.
- ``gateway.deletion``: the deletion protocol of DESIGN.md, in plain Python over two small ports.
- ``gateway.backends``: the long-lived channel per backend and the gRPC adapters of those ports.
- ``gateway.keys`` / ``gateway.key_store`` / ``gateway.keys_cli``: API keys (256-bit secrets stored as
  digests, bound to a project and scopes), their database and ``plugboard keys create|list|revoke``.
- ``gateway.policy`` / ``gateway.auth``: per-method rules derived from the descriptors (scope, project,
  internal methods) and the ``Gatekeeper`` that authenticates and admits each call (gRPC and HTTP).
- ``gateway.quotas``: concurrent calls and open streams per API key and per project (RESOURCE_EXHAUSTED
  with a QuotaFailure past them), one mechanism for gRPC and HTTP.
- ``gateway.http_rules`` / ``gateway.json_mapping`` / ``gateway.http_api`` / ``gateway.openapi``: the
  HTTP/JSON facade (aiohttp) and its OpenAPI document, both from the ``google.api.http`` annotations;
  ``gateway.http_protocol``: aiohttp's own refusals of malformed HTTP as the same JSON errors.
- ``gateway.dialects``: the JSON each HTTP route speaks, one dialect per route: commercetools Connect's
  on the catalog's seed routes, Patchworks' on ``/api/v1/connectors``, protobuf's JSON mapping elsewhere.
- ``gateway.health``: the gateway's health follows its backends'.
- ``gateway.server``: ``create_server`` / ``serve``.
"""
