"""catalog_service: connectors, their drafts (ConnectorStaged), publishing, certification and the marketplace.

Layers: ``domain`` (plain Python rules: the draft state machine, update actions, validation),
``storage`` (peewee models, migrations, the store) and ``transport`` (the gRPC servicers); ``server``
wires them together.
"""
