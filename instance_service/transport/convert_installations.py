"""Conversion between the installation messages of plugboard.instance.v1 and the domain's installation
model (``instance_service.domain.installation_model``)."""

from __future__ import annotations

from plugboard.instance.v1 import installation_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as spb

from ..domain.installation_model import (
    Actor,
    ConnectionTestCustomisation,
    Customisation,
    ExtraKey,
    Installation,
    InstallationOrigin,
    InstallationReference,
    InstallationState,
    KeyCustomisation,
    MoveResult,
    Revision,
)
from .convert import timestamp

_ORIGINS = {
    InstallationOrigin.MARKETPLACE: ipb.INSTALLATION_ORIGIN_MARKETPLACE,
    InstallationOrigin.AUTOMATIC: ipb.INSTALLATION_ORIGIN_AUTOMATIC,
    InstallationOrigin.MIGRATED: ipb.INSTALLATION_ORIGIN_MIGRATED,
    InstallationOrigin.UPDATE: ipb.INSTALLATION_ORIGIN_UPDATE,
}
_STATES = {
    InstallationState.PENDING: ipb.INSTALLATION_STATE_PENDING,
    InstallationState.READY: ipb.INSTALLATION_STATE_READY,
    InstallationState.REMOVING: ipb.INSTALLATION_STATE_REMOVING,
}


def actor_to_proto(actor: Actor | None) -> ipb.Actor | None:
    if actor is None:
        return None
    return ipb.Actor(key_id=actor.key_id, project=actor.project, system=actor.system)


def customisation_to_proto(item: Customisation | None) -> ipb.InstallationCustomisation | None:
    if item is None:
        return None
    msg = ipb.InstallationCustomisation(
        keys=[ipb.KeyCustomisation(key=k.key, **{name: getattr(k, name) for name in ("default", "label", "description")
                                                 if getattr(k, name) is not None})
              for k in item.keys],
        extra_keys=[ipb.ExtraKey(key=k.key, label=k.label, description=k.description, default=k.default)
                    for k in item.extra_keys],
    )
    test = item.connection_test
    if test is not None and not test.is_empty:
        msg.connection_test.CopyFrom(ipb.ConnectionTestCustomisation(
            method=test.method, path=test.path, expected_status=list(test.expected_status), headers=dict(test.headers)))
    return msg


def customisation_from_proto(msg: ipb.InstallationCustomisation) -> Customisation:
    test = None
    if msg.HasField("connection_test"):
        t = msg.connection_test
        test = ConnectionTestCustomisation(method=t.method, path=t.path, expected_status=tuple(t.expected_status),
                                           headers=tuple(sorted(t.headers.items())))
    return Customisation(
        keys=tuple(KeyCustomisation(key=k.key, default=k.default if k.HasField("default") else None,
                                    label=k.label if k.HasField("label") else None,
                                    description=k.description if k.HasField("description") else None)
                   for k in msg.keys),
        extra_keys=tuple(ExtraKey(key=k.key, label=k.label, description=k.description, default=k.default)
                         for k in msg.extra_keys),
        connection_test=test,
    )


def installation_to_proto(item: Installation) -> ipb.Installation:
    msg = ipb.Installation(
        id=item.id, project=item.project, connector_id=item.connector_id, connector_key=item.connector_key,
        connector_name=item.connector_name, connector_version=item.connector_version,
        latest_version=max(item.latest_version, item.connector_version), update_available=item.update_available,
        origin=_ORIGINS[item.origin], alongside=item.alongside, state=_STATES[item.state], version=item.version,
        modified=item.modified, revision=item.revision, instance_count=item.instance_count,
        create_time=timestamp(item.create_time), update_time=timestamp(item.update_time),
    )
    if item.modified_by is not None and item.modified:
        msg.modified_by.CopyFrom(actor_to_proto(item.modified_by))
    if item.modify_time is not None and item.modified:
        msg.modify_time.CopyFrom(timestamp(item.modify_time))
    if item.created_by is not None:
        msg.created_by.CopyFrom(actor_to_proto(item.created_by))
    if item.customisation is not None and not item.customisation.is_empty:
        msg.customisation.CopyFrom(customisation_to_proto(item.customisation))
    update = item.available_update
    if update is not None:
        msg.available_update.CopyFrom(ipb.AvailableUpdate(
            version=update.version, added_keys=list(update.added_keys), removed_keys=list(update.removed_keys),
            now_required_keys=list(update.now_required_keys), failing_instance_count=update.failing_instance_count))
    return msg


def revision_to_proto(item: Revision) -> ipb.InstallationRevision:
    return ipb.InstallationRevision(
        installation_id=item.installation_id, number=item.number, author=actor_to_proto(item.author),
        create_time=timestamp(item.create_time), based_on_version=item.based_on_version,
        customisation=customisation_to_proto(item.customisation),
        changes=[ipb.RevisionChange(path=c.path, published=c.published, value=c.value) for c in item.changes],
    )


def installation_reference_to_proto(item: InstallationReference) -> spb.InstallationReference:
    return spb.InstallationReference(project=item.project, id=item.id, state=_STATES[item.state],
                                     connector_version=item.connector_version)


def move_result_to_proto(item: MoveResult) -> ipb.InstanceMoveResult:
    return ipb.InstanceMoveResult(instance_id=item.instance_id, instance_name=item.instance_name,
                                  from_version=item.from_version, to_version=item.to_version, moved=item.moved,
                                  problems=list(item.problems))


def modified_filter(value: int) -> bool | None:
    if value == spb.MODIFIED_FILTER_MODIFIED:
        return True
    if value == spb.MODIFIED_FILTER_UNMODIFIED:
        return False
    return None
