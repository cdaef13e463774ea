"""The installation store and the installations' reconciler on SQLite and PostgreSQL: the unique index
decides ALREADY_EXISTS (an alongside one takes its own slot), and the reconciler removes PENDING
installations and unused automatic ones older than the bound and reverts stale removals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from instance_service.domain.installation_model import (
    Installation,
    InstallationOrigin,
    InstallationState,
)
from instance_service.domain.installations import Installations
from instance_service.storage.installations import InstallationRepository
from plugboard.errors import AlreadyExists, NotFound
from tests.instance.helpers import T0, pending


def installation(**changes) -> Installation:  # type: ignore[no-untyped-def]
    import uuid

    base = Installation(id=str(uuid.uuid4()), project="acme", connector_id="c-1", connector_key="k-1",
                        connector_version=1, origin=InstallationOrigin.MARKETPLACE, state=InstallationState.READY,
                        version=1, create_time=T0, update_time=T0)
    return replace(base, **changes)


@pytest.fixture
def store(repository):
    return InstallationRepository(repository.db)


def test_one_installation_per_version_unless_alongside(store):
    first = installation()
    assert store.insert(first, "r-1")
    with pytest.raises(AlreadyExists) as info:
        store.insert(installation())
    assert info.value.reason == "INSTALLATION_ALREADY_EXISTS"
    second = installation()
    assert store.insert(replace(second, slot=second.id))
    assert store.insert(installation(connector_version=2))
    assert store.insert(installation(project="beta"))
    assert not store.insert(installation(connector_version=3), "r-1")  # the request id is taken
    assert store.find_by_request("acme", "r-1").id == first.id
    assert len(store.for_connector("acme", connector_id="c-1")) == 3


def test_the_reconciler(store, repository):
    now = T0 + timedelta(hours=1)
    installations = Installations(store, catalog=None, pending_stale_seconds=60, clock=lambda: now)  # type: ignore[arg-type]
    stale_pending = installation(state=InstallationState.PENDING)
    fresh_pending = installation(state=InstallationState.PENDING, connector_version=2, create_time=now,
                                 update_time=now)
    unused_automatic = installation(origin=InstallationOrigin.AUTOMATIC, connector_id="c-2")
    used_automatic = installation(origin=InstallationOrigin.AUTOMATIC, connector_id="c-3")
    removing = installation(connector_id="c-4")
    for item in (stale_pending, fresh_pending, unused_automatic, used_automatic, removing):
        store.insert(item)
    instance = pending(connector_id="c-3", installation_id=used_automatic.id)
    repository.insert_pending(instance, "")
    store.begin_removal("acme", removing.id, None, T0)
    assert installations.reconcile() == 3
    assert store.state_of(stale_pending.id) is None and store.state_of(fresh_pending.id) is InstallationState.PENDING
    assert store.state_of(unused_automatic.id) is None
    assert store.state_of(used_automatic.id) is InstallationState.READY
    assert store.state_of(removing.id) is InstallationState.READY
    with pytest.raises(NotFound):
        store.get("acme", stale_pending.id)
