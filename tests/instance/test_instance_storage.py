"""The instance repository on SQLite and PostgreSQL: constraints, CAS, visibility, paging, references."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from instance_service.domain.listing import list_query
from instance_service.domain.model import Configuration, ConfigurationKey, Instance, InstanceState
from instance_service.domain.secrets import variable_aad
from instance_service.domain.validation import ResolvedVariable
from instance_service.domain.variables import seal_all
from instance_service.storage.migrations import COMPONENT, MIGRATIONS
from instance_service.storage.models import VariableRow
from plugboard.errors import Aborted, ConcurrentModification, InvalidArgument, NotFound
from plugboard.storage.migrations import current_version, migrate
from tests.instance.helpers import T0, pending


def ready(repo, keyring, instance: Instance, variables=(), configuration=None) -> Instance:  # type: ignore[no-untyped-def]
    assert repo.insert_pending(instance, "")
    sealed = seal_all(keyring, instance.project, instance.id, list(variables), instance.create_time)
    return repo.mark_ready(replace(
        instance, state=InstanceState.READY, connector_key="shop", connector_version=1, latest_version=1,
        variables=sealed, configuration=configuration,
    ))


def test_migrations_from_empty_and_again(repository):
    db = repository.db
    assert current_version(db, COMPONENT) == MIGRATIONS[-1].version
    assert migrate(db, COMPONENT, MIGRATIONS) == []  # already there: nothing applied
    assert {"instances", "instance_variables", "instance_requests"} <= set(db.get_tables())


def test_pending_then_ready_with_variables(repository, keyring):
    configuration = Configuration((ConfigurationKey("API_TOKEN", secret=True, required=True),))
    instance = pending(session_id="s-1", connection_pool_id=7)
    assert repository.insert_pending(instance, "req-1")
    with pytest.raises(NotFound):
        repository.get("acme", instance.id)  # PENDING is not visible to reads
    assert repository.find_by_request("acme", "req-1").state is InstanceState.PENDING
    ready(repository, keyring, replace(instance, id=str(uuid.uuid4())), [])  # another one, no request id

    sealed = seal_all(keyring, "acme", instance.id, [
        ResolvedVariable(key="API_TOKEN", value="tok-123", secret=True, required=True),
        ResolvedVariable(key="REGION", value="eu", secret=False, required=False),
    ], T0)
    repository.mark_ready(replace(instance, state=InstanceState.READY, connector_version=3, latest_version=4,
                                  variables=sealed, configuration=configuration))
    got = repository.get("acme", instance.id)
    assert got.state is InstanceState.READY and got.connector_version == 3 and got.latest_version == 4
    assert got.session_id == "s-1" and got.connection_pool_id == 7 and got.create_time == T0
    assert got.configuration == configuration
    token, region = got.variables
    assert token.secret and token.value is None and token.value_set and len(token.fingerprint) == 8
    assert keyring.decrypt(token.ciphertext, variable_aad("acme", instance.id, "API_TOKEN")) == "tok-123"
    assert region.value == "eu" and not region.secret and region.ciphertext is None
    assert repository.find_by_request("acme", "req-1").id == instance.id


def test_secret_rows_never_hold_plaintext(repository, keyring):
    instance = ready(repository, keyring, pending(), [
        ResolvedVariable(key="API_TOKEN", value="plain-canary", secret=True, required=False),
    ])
    row = VariableRow.get(VariableRow.instance == instance.id)
    assert row.value is None and b"plain-canary" not in bytes(row.ciphertext)


def test_request_id_is_unique_per_project(repository):
    first = pending()
    assert repository.insert_pending(first, "req-1")
    assert not repository.insert_pending(pending(), "req-1")  # the constraint decides
    assert repository.insert_pending(pending(project="other"), "req-1")  # another project: fine
    assert repository.find_by_request("acme", "req-1").id == first.id
    assert repository.count_references("c-1", 10).total == 2  # the losing insert left nothing


def test_discard_pending_removes_row_and_request_id(repository):
    instance = pending()
    assert repository.insert_pending(instance, "req-1")
    repository.discard_pending(instance.id)
    assert repository.find_by_request("acme", "req-1") is None
    assert repository.insert_pending(pending(), "req-1")  # the request id is free again


def test_mark_ready_of_a_removed_pending_row_is_aborted(repository):
    instance = pending()
    assert repository.insert_pending(instance, "")
    repository.discard_pending(instance.id)
    with pytest.raises(Aborted) as exc:
        repository.mark_ready(replace(instance, state=InstanceState.READY))
    assert exc.value.reason == "PENDING_INSTANCE_EXPIRED"


def test_another_projects_instance_is_not_found_like_a_missing_one(repository, keyring):
    instance = ready(repository, keyring, pending(project="acme"))
    with pytest.raises(NotFound) as theirs:
        repository.get("other", instance.id)
    missing_id = str(uuid.uuid4())
    with pytest.raises(NotFound) as missing:
        repository.get("other", missing_id)
    assert theirs.value.reason == missing.value.reason == "INSTANCE_NOT_FOUND"
    assert theirs.value.message.replace(instance.id, "X") == missing.value.message.replace(missing_id, "X")
    assert "acme" not in theirs.value.message
    with pytest.raises(NotFound):
        repository.delete("other", instance.id, None)


def test_update_compares_and_swaps_the_version(repository, keyring):
    instance = ready(repository, keyring, pending(), [
        ResolvedVariable(key="REGION", value="eu", secret=False, required=False),
    ])
    changed = replace(instance, name="renamed", update_time=T0 + timedelta(seconds=1), variables=())
    updated = repository.update(instance, changed, variables_changed=False)
    assert updated.version == 2
    got = repository.get("acme", instance.id)
    assert got.name == "renamed" and got.version == 2 and [v.key for v in got.variables] == ["REGION"]
    with pytest.raises(ConcurrentModification) as exc:
        repository.update(instance, replace(changed, name="lost"), variables_changed=False)  # still at 1
    assert exc.value.metadata == {"expected_version": "1", "current_version": "2"}
    assert repository.get("acme", instance.id).name == "renamed"
    repository.update(got, replace(got, variables=()), variables_changed=True)
    assert repository.get("acme", instance.id).variables == ()


def test_delete_with_and_without_version(repository, keyring):
    first = ready(repository, keyring, pending(), [ResolvedVariable("K", "v", False, False)])
    with pytest.raises(ConcurrentModification) as exc:
        repository.delete("acme", first.id, 5)
    assert exc.value.metadata["current_version"] == "1"
    repository.delete("acme", first.id, 1)
    with pytest.raises(NotFound):
        repository.get("acme", first.id)
    assert VariableRow.select().where(VariableRow.instance == first.id).count() == 0
    second = ready(repository, keyring, pending())
    repository.delete("acme", second.id, None)
    with pytest.raises(NotFound):
        repository.delete("acme", second.id, None)


def test_count_references_includes_pending_oldest_first(repository, keyring):
    ready(repository, keyring, pending(name="b", created=T0 + timedelta(seconds=2)))
    oldest = pending(project="other", name="a", created=T0)
    assert repository.insert_pending(oldest, "")
    ready(repository, keyring, pending(name="c", created=T0 + timedelta(seconds=1)))
    ready(repository, keyring, pending(name="elsewhere", connector_id="c-2"))
    refs = repository.count_references("c-1", 2)
    assert refs.total == 3
    assert [(r.name, r.state) for r in refs.instances] == [("a", InstanceState.PENDING), ("c", InstanceState.READY)]
    assert refs.instances[0].project == "other"
    assert repository.count_references("nothing", 10).total == 0


def test_stale_pending_instances_are_removed(repository, keyring):
    stale = pending(created=T0)
    fresh = pending(created=T0 + timedelta(minutes=5))
    assert repository.insert_pending(stale, "req-stale")
    assert repository.insert_pending(fresh, "req-fresh")
    done = ready(repository, keyring, pending(created=T0 - timedelta(days=1)))
    assert repository.remove_stale_pending(T0 + timedelta(minutes=1)) == 1
    assert repository.find_by_request("acme", "req-stale") is None
    assert repository.find_by_request("acme", "req-fresh") is not None
    assert repository.get("acme", done.id).state is InstanceState.READY  # READY rows are never reaped


def _names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.name for item in page.items]


def test_list_pages_sorts_and_tokens(repository, keyring):
    for number in range(7):
        ready(repository, keyring, pending(name=f"inst{number:02d}"))
    ready(repository, keyring, pending(project="other", name="inst99"))
    assert repository.insert_pending(pending(name="inst50"), "")  # PENDING: not listed

    first = repository.list(list_query("acme", per_page=3))
    assert _names(first) == ["inst00", "inst01", "inst02"] and first.total == 7 and first.offset == 0
    second = repository.list(list_query("acme", per_page=3, page_token=first.next_page_token))
    assert _names(second) == ["inst03", "inst04", "inst05"] and second.offset == 3
    third = repository.list(list_query("acme", per_page=3, page_token=second.next_page_token))
    assert _names(third) == ["inst06"] and third.next_page_token == "" and third.offset == 6
    by_page = repository.list(list_query("acme", per_page=3, page=2))
    assert _names(by_page) == _names(second) and by_page.next_page_token

    down = repository.list(list_query("acme", per_page=4, sort="-name"))
    assert _names(down) == ["inst06", "inst05", "inst04", "inst03"]
    rest = repository.list(list_query("acme", per_page=4, sort="-name", page_token=down.next_page_token))
    assert _names(rest) == ["inst02", "inst01", "inst00"]

    with pytest.raises(InvalidArgument) as exc:  # a token from another sort
        repository.list(list_query("acme", per_page=3, sort="-name", page_token=first.next_page_token))
    assert exc.value.violations[0].field == "page_token"
    for bad in ("!!!", "e30", "eyJ2IjpbXSwicSI6IngiLCJvIjoxfQ"):
        with pytest.raises(InvalidArgument):
            repository.list(list_query("acme", page_token=bad))


def test_list_filters(repository, keyring):
    ready(repository, keyring, pending(name="alpha-1", connector_id="c-1", session_id="s-1"))
    ready(repository, keyring, pending(name="alpha-2", connector_id="c-2", platform_app_key="app-9"))
    ready(repository, keyring, pending(name="Alpha-3", connector_id="c-1"))
    ready(repository, keyring, pending(name="beta", connector_id="c-1"))
    assert _names(repository.list(list_query("acme", connector_id="c-1"))) == sorted(
        _names(repository.list(list_query("acme", connector_id="c-1"))))
    assert set(_names(repository.list(list_query("acme", connector_id="c-1")))) == {"alpha-1", "Alpha-3", "beta"}
    assert _names(repository.list(list_query("acme", name_prefix="alpha"))) == ["alpha-1", "alpha-2"]  # case-sensitive
    assert _names(repository.list(list_query("acme", name_prefix="al%"))) == []  # no LIKE wildcards
    assert _names(repository.list(list_query("acme", session_id="s-1"))) == ["alpha-1"]
    assert _names(repository.list(list_query("acme", platform_app_key="app-9"))) == ["alpha-2"]
    assert repository.list(list_query("acme", connector_key="shop")).total == 4
    assert repository.list(list_query("acme", connector_key="nope")).total == 0
