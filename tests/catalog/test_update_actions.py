"""Every update action of the protobuf oneof has its domain action: a set-a-field row or explicit code."""

from __future__ import annotations

import pytest

from catalog_service.domain import actions as a
from catalog_service.transport.convert import action_from_proto
from plugboard.catalog.v1 import update_actions_pb2 as apb

ONEOF = [field.name for field in apb.ConnectorStagedUpdateAction.DESCRIPTOR.oneofs_by_name["action"].fields]


@pytest.mark.parametrize("name", ONEOF)
def test_every_action_of_the_oneof_converts_to_a_domain_action(name):
    msg = apb.ConnectorStagedUpdateAction()
    getattr(msg, name).SetInParent()
    action, converted_name = action_from_proto(msg)
    assert converted_name == name and action is not None
    if isinstance(action, a.SetField):
        message_fields = {field.name for field in getattr(msg, name).DESCRIPTOR.fields}
        assert {field.name for field in a.SET_ACTIONS[name]} == message_fields


def test_the_set_table_names_only_actions_of_the_oneof():
    assert set(a.SET_ACTIONS) <= set(ONEOF)
    # seed 002's 19 actions, plus seed 000's submission fields: setMedia, setSupportContact,
    # setDeclarationOfIntent,
    # and Plugboard's setRepositoryCredentials
    assert len(ONEOF) == 23
