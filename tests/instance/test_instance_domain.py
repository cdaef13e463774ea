"""Instance domain rules on their own: field validation, variables vs. specification, updates, lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from instance_service.domain.listing import list_query, reference_limit
from instance_service.domain.model import (
    Configuration,
    ConfigurationKey,
    Instance,
    InstanceDraft,
    InstanceState,
    RateLimitUnit,
    VariableInput,
    VersionPolicy,
)
from instance_service.domain.secrets import Keyring, variable_aad
from instance_service.domain.updates import InstancePatch, check_mask_paths, validate_update
from instance_service.domain.validation import effective_policy, resolve_variables, validate_draft
from instance_service.domain.variables import merge_variables, seal_all
from plugboard.errors import InvalidArgument

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def draft(**changes) -> InstanceDraft:
    base = InstanceDraft(
        name="Shop EU", timezone="Europe/London", date_format="Y-m-d H:i:s",
        rate_limit_unit=RateLimitUnit.MINUTE, rate_limit_duration=1, connector_key="shop-sync",
    )
    return replace(base, **changes)


def violations(exc: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in exc.value.violations}


SPEC = Configuration.merge([
    ConfigurationKey("SHOP_DOMAIN", secret=False, required=True),
    ConfigurationKey("REGION", secret=False, default="eu"),
    ConfigurationKey("PAGE_SIZE", secret=False, required=True, default="50"),
    ConfigurationKey("API_TOKEN", secret=True, required=True),
    ConfigurationKey("WEBHOOK_SECRET", secret=True),
])


# ----------------------------------------------------------------------------------------- fields


def test_a_valid_draft_passes():
    validate_draft("acme", draft())
    validate_draft("acme", draft(connector_key="", connector_id="c-1", timezone="UTC"))


def test_every_wrong_field_is_reported_at_once():
    bad = draft(
        name="", connector_key="", timezone="Mars/Olympus", date_format=" ",
        rate_limit_unit=RateLimitUnit.UNSPECIFIED, rate_limit_duration=0, connection_pool_id=0,
        variables=(
            VariableInput(key="OK"),
            VariableInput(key="9starts-with-digit"),
            VariableInput(key="OK"),
            VariableInput(key=""),
            VariableInput(key="x" * 129),
        ),
    )
    with pytest.raises(InvalidArgument) as exc:
        validate_draft("", bad)
    found = violations(exc)
    assert set(found) == {
        "project", "instance.name", "instance.connector_id", "instance.timezone", "instance.date_format",
        "instance.rate_limit_unit", "instance.rate_limit_duration", "instance.connection_pool_id",
        "instance.variables[1].key", "instance.variables[2].key", "instance.variables[3].key",
        "instance.variables[4].key",
    }
    assert "variables[0]" in found["instance.variables[2].key"]  # names the first occurrence
    assert exc.value.reason == "INVALID_ARGUMENT"


def test_connector_id_and_key_are_exclusive():
    with pytest.raises(InvalidArgument) as exc:
        validate_draft("acme", draft(connector_id="c-1", connector_key="k"))
    assert list(violations(exc)) == ["instance.connector_id"]
    assert "not both" in violations(exc)["instance.connector_id"]


@pytest.mark.parametrize("name", ["", " ", "x" * 256])
def test_name_length(name):
    with pytest.raises(InvalidArgument) as exc:
        validate_draft("acme", draft(name=name))
    assert list(violations(exc)) == ["instance.name"]


def test_name_of_255_characters_is_fine():
    validate_draft("acme", draft(name="x" * 255))


@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "UTC", "Asia/Kolkata"])
def test_iana_timezones_are_accepted(tz):
    validate_draft("acme", draft(timezone=tz))


@pytest.mark.parametrize("tz", ["", "europe/london", "GMT+25", "../etc/passwd", "/etc/localtime", "Europe/ London"])
def test_bad_timezones_are_refused(tz):
    with pytest.raises(InvalidArgument) as exc:
        validate_draft("acme", draft(timezone=tz))
    assert list(violations(exc)) == ["instance.timezone"]


def test_variable_key_pattern_allows_dots_and_dashes():
    validate_draft("acme", draft(variables=(VariableInput(key="_a.b-c9"), VariableInput(key="A" * 128))))


def test_version_policy_defaults():
    assert effective_policy(draft()) is VersionPolicy.FOLLOW_LATEST
    assert effective_policy(draft(connector_version=3)) is VersionPolicy.PINNED
    assert effective_policy(draft(connector_version=3, version_policy=VersionPolicy.FOLLOW_LATEST)) \
        is VersionPolicy.FOLLOW_LATEST


# ------------------------------------------------------------------------- variables vs. the spec


def test_specification_decides_secret_and_fills_defaults():
    resolved = resolve_variables(
        [
            VariableInput(key="SHOP_DOMAIN", value="shop.example"),
            VariableInput(key="API_TOKEN", value="t0ken", secret=False),  # the spec says secret
            VariableInput(key="REGION", value="us", secret=True),          # the spec says setting
        ],
        SPEC,
    )
    by_key = {item.key: item for item in resolved}
    assert by_key["API_TOKEN"].secret and by_key["API_TOKEN"].required
    # The caller may make a setting secret (issue 14.5: secret from the caller is never ignored).
    assert by_key["REGION"].secret and by_key["REGION"].value == "us"
    assert by_key["PAGE_SIZE"].value == "50" and by_key["PAGE_SIZE"].required  # default filled
    assert "WEBHOOK_SECRET" not in by_key  # optional secret without a value stays absent


def test_missing_required_and_unknown_keys_are_one_violation_each():
    with pytest.raises(InvalidArgument) as exc:
        resolve_variables(
            [VariableInput(key="NOPE", value="x"), VariableInput(key="ALSO_NOPE"),
             VariableInput(key="REGION", value="")],
            SPEC, version=3,
        )
    found = exc.value.violations
    fields = [v.field for v in found]
    assert fields.count("instance.variables[0].key") == 1 and fields.count("instance.variables[1].key") == 1
    missing = [v.description for v in found if v.field == "instance.variables"]
    assert len(missing) == 2  # SHOP_DOMAIN and API_TOKEN (PAGE_SIZE has a default)
    assert any("'SHOP_DOMAIN'" in text for text in missing) and any("'API_TOKEN'" in text for text in missing)
    assert "connector version 3" in found[0].description


def test_required_key_given_empty_is_a_violation_on_its_value():
    with pytest.raises(InvalidArgument) as exc:
        resolve_variables([VariableInput(key="SHOP_DOMAIN", value=""), VariableInput(key="API_TOKEN", value="t")],
                          SPEC)
    assert [v.field for v in exc.value.violations] == ["instance.variables[0].value"]


def test_empty_specification_accepts_variables_as_given():
    resolved = resolve_variables(
        [VariableInput(key="API_TOKEN", value="s", secret=True), VariableInput(key="ANY", value="v")],
        Configuration(),
    )
    assert [(v.key, v.secret) for v in resolved] == [("API_TOKEN", True), ("ANY", False)]


def test_configuration_merge_over_applications():
    merged = Configuration.merge([
        ConfigurationKey("A", secret=False, default="1"),
        ConfigurationKey("A", secret=False, required=True),
        ConfigurationKey("B", secret=False, default="x"),
        ConfigurationKey("B", secret=True),
    ])
    a, b = merged.keys
    assert (a.key, a.required, a.default, a.secret) == ("A", True, "1", False)
    assert (b.key, b.secret, b.default) == ("B", True, "")  # secured anywhere: a secret, no default
    assert Configuration.from_json(merged.to_json()) == merged


# --------------------------------------------------------------------------------------- updates


def test_mask_paths():
    chosen, problems = check_mask_paths(["name", "*", "variables"])
    assert chosen[0] == "name" and "variables" in chosen and len(chosen) == len(set(chosen))
    chosen, problems = check_mask_paths(["name", "colour", "connector_id", "state"])
    assert chosen == ["name"]
    assert [p.field for p in problems] == ["update_mask.paths[1]", "update_mask.paths[2]", "update_mask.paths[3]"]
    assert "unknown field" in problems[0].description and "cannot change" in problems[1].description


def test_update_validation_reports_mask_and_fields_together():
    patch = InstancePatch(
        fields={"name": "", "timezone": "Nowhere/Land", "rate_limit_duration": -1},
        mask_violations=check_mask_paths(["colour"])[1],
    )
    with pytest.raises(InvalidArgument) as exc:
        validate_update("acme", "", -1, patch)
    assert set(violations(exc)) == {
        "update_mask.paths[0]", "instance.id", "instance.version", "instance.name", "instance.timezone",
        "instance.rate_limit_duration",
    }


def _instance(keyring: Keyring, configuration: Configuration | None, variables) -> Instance:  # type: ignore[no-untyped-def]
    resolved = resolve_variables(variables, configuration)
    return Instance(
        id="i-1", project="acme", name="n", connector_id="c-1", connector_key="k", connector_version=1,
        version_policy=VersionPolicy.FOLLOW_LATEST, timezone="UTC", date_format="Y", state=InstanceState.READY,
        rate_limit_unit=RateLimitUnit.SECOND, rate_limit_duration=1, version=1, create_time=NOW,
        update_time=NOW, configuration=configuration,
        variables=seal_all(keyring, "acme", "i-1", resolved, NOW),
    )


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.parse(Keyring.generate_entry("k1"))


def test_update_keeps_secrets_left_out_or_sent_empty(keyring):
    current = _instance(keyring, SPEC, [
        VariableInput(key="SHOP_DOMAIN", value="a.example"), VariableInput(key="API_TOKEN", value="old-token"),
    ])
    token = current.variable("API_TOKEN")
    merged = merge_variables(keyring, current, [
        VariableInput(key="SHOP_DOMAIN", value="b.example"), VariableInput(key="API_TOKEN", value=""),
    ], NOW)
    by_key = {v.key: v for v in merged}
    assert by_key["API_TOKEN"].ciphertext == token.ciphertext and by_key["API_TOKEN"].fingerprint == token.fingerprint
    assert by_key["SHOP_DOMAIN"].value == "b.example"
    assert keyring.decrypt(by_key["API_TOKEN"].ciphertext, variable_aad("acme", "i-1", "API_TOKEN")) == "old-token"


def test_update_of_a_secret_reencrypts_and_changes_fingerprint(keyring):
    current = _instance(keyring, SPEC, [
        VariableInput(key="SHOP_DOMAIN", value="a"), VariableInput(key="API_TOKEN", value="old-token"),
    ])
    merged = {v.key: v for v in merge_variables(keyring, current, [VariableInput(key="API_TOKEN", value="new")], NOW)}
    assert merged["API_TOKEN"].fingerprint == keyring.fingerprint("new") != current.variable("API_TOKEN").fingerprint
    assert merged["API_TOKEN"].id == current.variable("API_TOKEN").id


def test_update_refuses_locked_changes_and_unknown_keys(keyring):
    current = _instance(keyring, SPEC, [
        VariableInput(key="SHOP_DOMAIN", value="a", locked=True),
        VariableInput(key="API_TOKEN", value="tok", locked=True),
    ])
    with pytest.raises(InvalidArgument) as exc:
        merge_variables(keyring, current, [
            VariableInput(key="SHOP_DOMAIN", value="b"),
            VariableInput(key="API_TOKEN", value="other"),
            VariableInput(key="UNKNOWN_KEY", value="x"),
        ], NOW)
    assert set(violations(exc)) == {
        "instance.variables[0].value", "instance.variables[1].value", "instance.variables[2].key",
    }
    assert "locked" in violations(exc)["instance.variables[1].value"]
    # The same values, or a secret sent empty, are not changes.
    same = merge_variables(keyring, current, [VariableInput(key="SHOP_DOMAIN", value="a"),
                                              VariableInput(key="API_TOKEN", value="tok")], NOW)
    assert same == current.variables


def test_update_adds_a_new_spec_key_as_the_spec_says(keyring):
    current = _instance(keyring, SPEC, [VariableInput(key="SHOP_DOMAIN", value="a"),
                                        VariableInput(key="API_TOKEN", value="t")])
    merged = {v.key: v for v in merge_variables(
        keyring, current, [VariableInput(key="WEBHOOK_SECRET", value="hook", secret=False)], NOW)}
    assert merged["WEBHOOK_SECRET"].secret and merged["WEBHOOK_SECRET"].value is None
    assert merged["WEBHOOK_SECRET"].ciphertext


# ------------------------------------------------------------------------------------------ lists


def test_list_defaults_and_limits():
    query = list_query("acme")
    assert (query.page, query.per_page, query.sort) == (1, 20, "name")
    assert list_query("acme", per_page=100, sort="-name").descending
    with pytest.raises(InvalidArgument) as exc:
        list_query("", page=-1, per_page=101, sort="created")
    assert set(violations(exc)) == {"project", "page", "per_page", "sort"}


def test_reference_limit():
    assert reference_limit("c-1", 0) == 10
    assert reference_limit("c-1", 100) == 100
    with pytest.raises(InvalidArgument) as exc:
        reference_limit("", 101)
    assert set(violations(exc)) == {"connector_id", "limit"}
