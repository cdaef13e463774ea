"""Plugboard instance service: a project's instances of published connectors.

Layers (each importable on its own):

- ``instance_service.domain``: plain Python. The instance model, field and variable validation against a
  connector version's configuration keys, secret sealing (AES-GCM), list paging, the update rules and the
  create protocol of DESIGN.md (PENDING, catalog usability check, READY). Imports neither grpc nor peewee.
- ``instance_service.storage``: peewee models, migrations and the repository (one transaction per use case).
- ``instance_service.transport``: the grpc.aio servicer, proto <-> domain conversion and the catalog client.
- ``instance_service.server``: ``create_server(settings, port=...)`` and ``serve(settings)``.
"""
