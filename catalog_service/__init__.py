"""Plugboard catalog service: connectors, their drafts (ConnectorStaged), publishing, certification and
the marketplace.

Layers (each importable on its own):

- ``catalog_service.domain``: plain Python. The draft model and state machine, the update actions and
  field validation, the connect.yaml specification, the publishing and certification rules, and the use
  cases (``domain.service``: drafts, connectors, the deletion protocol, certification; ``domain.jobs``:
  what a publishing or preview job does to its draft) behind the ``CatalogStore`` port. Imports neither
  grpc nor peewee nor storage.
- ``catalog_service.storage``: peewee models, migrations, the store (one transaction per use case; it
  reports not found, a stale version or nothing changed, never a rule), the job queue and the read caches.
- ``catalog_service.publishing``: the I/O of publishing: fetching a connector's repository (git) and the
  job worker loop that claims jobs and hands them to ``domain.jobs``.
- ``catalog_service.transport``: the grpc.aio servicers and proto <-> domain conversion;
  ``catalog_service.watch``: the in-process notifier behind WatchConnectorStaged.
- ``catalog_service.server``: ``create_server(settings, port=...)`` and ``serve(settings)``.
"""
