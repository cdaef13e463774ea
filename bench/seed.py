"""Loading the benchmark data set through the services' own storage layers, before the servers start.

Run as its own process (``python -m bench.seed <spec.json>``): it opens the database by URL, applies
the service's migrations, writes the rows with the service's store classes and writes a manifest
(ids the scenarios need) as JSON. Publishing by RPC would go through the asynchronous git-fetching
publish job; writing what a publish writes (a published draft, its connector row and version 1)
through ``CatalogStore`` is faster and independent of git. This module is the one place to adapt when
a storage layer changes.

Data set (``connectors`` N, ``instances`` M):
- N published connectors, public, listed, 70% certified, created by project ``acme``, each with a
  specification of two settings and two secrets (API_TOKEN required) and a bearer-token connection.
- M READY instances, each with two encrypted secrets: every fifth belongs to ``acme`` and to one of the
  10 "popular" connectors (ListInstances, CreateInstance, GetInstance use those); the others spread
  round-robin over every connector and 50 other projects (so every connector has instances, which
  the refused DeleteConnector needs).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

PROJECT = "acme"
POPULAR = 10
SEARCH_WORD = "warehouse"

_SYSTEMS = ("Shopify", "Salesforce", "NetSuite", "SAP", "Zendesk", "HubSpot", "Stripe", "Mailchimp",
            "Magento", "Akeneo", "Xero", "QuickBooks", "Dynamics", "Klaviyo", "Algolia", "Contentful")
_PURPOSES = ("orders sync", "inventory bridge", "warehouse export", "customer import", "price feed",
             "invoice export", "tax calculation", "shipping labels")


def _specification():  # type: ignore[no-untyped-def]
    from catalog_service.domain import model as m

    return m.Specification(
        applications=(
            m.Application(
                name="sync", type="service",
                standard=(m.StandardKey("BASE_URL", "API base URL", "https://api.example.com", False),
                          m.StandardKey("REGION", "Region of the account", "eu", False)),
                secured=(m.SecuredKey("API_TOKEN", "API token", True), m.SecuredKey("WEBHOOK_SECRET", "", False)),
            ),
        ),
        connection=m.Connection(
            base_url_template="{BASE_URL}",
            authentication=m.Authentication(type="bearer", token_variable="API_TOKEN"),
            test_request=m.TestRequest(method="GET", path="/health", expected_status=(200,)),
        ),
    )


def _analyze(db) -> None:  # type: ignore[no-untyped-def]
    """Planner statistics for the freshly bulk-loaded tables, as autovacuum would gather within a minute
    in a real deployment; without them PostgreSQL plans the first list page as a scan and sort."""
    db.execute_sql("ANALYZE")


def seed_catalog(url: str, count: int) -> dict:
    """Write ``count`` published connectors; return their ids and keys."""
    from catalog_service.domain import model as m
    from catalog_service.domain.drafts import draft_checks
    from catalog_service.storage import open_store

    store = open_store(url)
    db = store.db
    spec = _specification()
    now = datetime.now(timezone.utc)
    connectors = []
    for start in range(0, count, 500):
        with db.atomic():
            for i in range(start, min(count, start + 500)):
                system = _SYSTEMS[i % len(_SYSTEMS)]
                purpose = _PURPOSES[(i // len(_SYSTEMS)) % len(_PURPOSES)]
                draft = m.Draft(
                    id=str(uuid.uuid4()), key=f"{system.lower()}-{purpose.replace(' ', '-')}-{i:05d}",
                    version=1, name=f"{system} {purpose} {i:05d}", created_at=now, updated_at=now,
                    creator_project=PROJECT,
                    description=f"Connects {system} to the commerce platform: {purpose}, every 15 minutes, "
                                f"with retries and a dead-letter queue.",
                    integration_types=("erp" if i % 3 == 0 else "marketplace",),
                    creator=m.Creator(name="Bench Vendor", email="vendor@example.com", company="Bench Ltd"),
                    repository=m.Repository(url=f"https://github.com/bench/connector-{i:05d}.git", tag="v1.0.0"),
                    specification=spec, private=False, supported_regions=("europe-west1.gcp",),
                    documentation_url="https://docs.example.com/connector",
                )
                store.create_draft(draft)
                certified = i % 10 < 7
                version = m.PublishedVersion(
                    connector_id=draft.id, number=1, key=draft.key, name=draft.name,
                    description=draft.description, integration_types=draft.integration_types,
                    creator=draft.creator, repository=draft.repository,
                    supported_regions=draft.supported_regions, private_projects=(),
                    documentation_url=draft.documentation_url, specification=spec, certified=certified,
                    draft_version=2, published_at=now,
                )
                published = replace(
                    draft, version=2, status=m.Status.PUBLISHED, already_listed=True, certified=certified,
                    published_version=1, published_hash=m.content_hash(draft),
                    publishing_report=draft_checks(draft, now),
                )
                store.save_draft(published, 1, version)
                connectors.append({"id": draft.id, "key": draft.key, "draft_version": 2})
    _analyze(db)
    db.close()
    return {"connectors": connectors}


def seed_instances(url: str, secret_keys: str, connectors: list[dict], count: int) -> dict:
    """Write ``count`` READY instances with encrypted secrets; return the ids the scenarios use."""
    from instance_service.domain.model import (
        Configuration, ConfigurationKey, Instance, InstanceState, RateLimitUnit, VariableInput, VersionPolicy,
    )
    from instance_service.domain.secrets import Keyring
    from instance_service.domain.validation import resolve_variables
    from instance_service.domain.variables import seal_all
    from instance_service.storage.migrations import COMPONENT, MIGRATIONS
    from instance_service.storage.models import database_proxy
    from instance_service.storage.repository import InstanceRepository
    from plugboard.storage.database import open_database
    from plugboard.storage.migrations import migrate

    db = open_database(url)
    migrate(db, COMPONENT, MIGRATIONS)
    database_proxy.initialize(db)
    store = InstanceRepository(db)
    keyring = Keyring.parse(secret_keys)
    configuration = Configuration((
        ConfigurationKey("BASE_URL", False, default="https://api.example.com"),
        ConfigurationKey("REGION", False, default="eu"),
        ConfigurationKey("API_TOKEN", True, required=True),
        ConfigurationKey("WEBHOOK_SECRET", True),
    ))
    popular = connectors[:POPULAR]
    now = datetime.now(timezone.utc)
    acme: list[str] = []
    by_connector: dict[str, int] = {}
    others = 0
    write = _bulk_writer(store)
    installations: dict[tuple[str, str], dict] = {}
    pending_installations: list[dict] = []
    for start in range(0, count, 500):
        batch = []
        for i in range(start, min(count, start + 500)):
            if i % 5 == 0:
                project, connector = PROJECT, popular[(i // 5) % len(popular)]
            else:
                project, connector = f"project-{others % 50:02d}", connectors[others % len(connectors)]
                others += 1
            instance_id = str(uuid.uuid4())
            pair = (project, connector["id"])
            if pair not in installations:  # every instance belongs to an installation (issue 16)
                installations[pair] = _installation_row(project, connector, configuration, now)
                pending_installations.append(installations[pair])
            resolved = resolve_variables(
                (VariableInput("API_TOKEN", f"tok-{uuid.uuid4().hex}", secret=True),
                 VariableInput("WEBHOOK_SECRET", f"whs-{uuid.uuid4().hex}", secret=True),
                 VariableInput("REGION", "eu")),
                configuration, version=1,
            )
            batch.append(Instance(
                id=instance_id, project=project, name=f"{connector['key']} for {project} #{i}",
                connector_id=connector["id"], connector_key=connector["key"], connector_version=1,
                version_policy=VersionPolicy.FOLLOW_LATEST, timezone="Europe/London", date_format="Y-m-d",
                rate_limit_unit=RateLimitUnit.MINUTE, rate_limit_duration=1, state=InstanceState.READY,
                version=1, create_time=now, update_time=now, latest_version=1, configuration=configuration,
                variables=seal_all(keyring, project, instance_id, resolved, now),
                installation_id=installations[pair]["id"],
            ))
            by_connector[connector["id"]] = by_connector.get(connector["id"], 0) + 1
            if project == PROJECT:
                acme.append(instance_id)
        with db.atomic():
            if pending_installations:
                from instance_service.storage.models import InstallationRow

                for first in range(0, len(pending_installations), 200):
                    InstallationRow.insert_many(pending_installations[first:first + 200]).execute()
                pending_installations.clear()
            write(batch)
    _analyze(db)
    db.close()
    popular_ids = {c["id"] for c in popular}
    referenced = [c["id"] for c in connectors if by_connector.get(c["id"]) and c["id"] not in popular_ids]
    return {"acme_instances": acme, "popular": [c["id"] for c in popular], "referenced": referenced}


def _installation_row(project: str, connector: dict, configuration, now):  # type: ignore[no-untyped-def]
    """The installation row of a project's instances of a connector: its own connectors' automatic one,
    else one installed from the marketplace, at version 1."""
    import json as _json

    from instance_service.storage.statements import configuration_json

    return {
        "id": str(uuid.uuid4()), "project": project, "connector_id": connector["id"],
        "connector_key": connector["key"], "connector_name": connector["key"], "connector_version": 1,
        "latest_version": 1, "origin": "AUTOMATIC" if project == PROJECT else "MARKETPLACE", "slot": "",
        "state": "READY", "version": 1, "revision": 0, "customisation": None,
        "configuration": configuration_json(configuration),
        "created_by": _json.dumps({"project": project}), "modified_by": None, "modify_time": None,
        "create_time": now, "update_time": now,
    }


def _instance_columns(instance):  # type: ignore[no-untyped-def]
    """The instance table's columns of a READY instance, for one multi-row INSERT."""
    from instance_service.storage.statements import blocked_json, configuration_json

    return {
        "id": instance.id, "project": instance.project, "name": instance.name,
        "connector_id": instance.connector_id, "connector_key": instance.connector_key,
        "connector_version": instance.connector_version, "latest_version": instance.latest_version,
        "version_policy": instance.version_policy.value, "timezone": instance.timezone,
        "date_format": instance.date_format, "rate_limit_unit": instance.rate_limit_unit.value,
        "rate_limit_duration": instance.rate_limit_duration,
        "connection_pool_id": instance.connection_pool_id, "certificate_id": instance.certificate_id,
        "platform_app_key": instance.platform_app_key, "session_id": instance.session_id,
        "type": instance.type, "state": instance.state.value, "version": instance.version,
        "last_test_outcome": instance.last_test_outcome.value,
        "configuration": configuration_json(instance.configuration),
        "upgrade_blocked": blocked_json(instance.blocked_reasons), "installation": instance.installation_id or None,
        "create_time": instance.create_time, "update_time": instance.update_time,
    }


def _bulk_writer(store):  # type: ignore[no-untyped-def]
    """How to write a batch of READY instances: one multi-row INSERT of the instance rows plus the
    repository's own variable insert, when the repository has those helpers (5x faster than the
    create protocol's two transactions); else the public path (insert_pending, then mark_ready)."""
    from dataclasses import replace as _replace

    from instance_service.domain.model import InstanceState

    try:
        from instance_service.storage.models import InstanceRow
        insert_variables = store._insert_variables
    except (ImportError, AttributeError):
        def write(batch):  # type: ignore[no-untyped-def]
            for instance in batch:
                store.insert_pending(_replace(instance, state=InstanceState.PENDING, variables=()), "")
                store.mark_ready(instance)
        return write

    def bulk(batch):  # type: ignore[no-untyped-def]
        InstanceRow.insert_many([_instance_columns(instance) for instance in batch]).execute()
        for instance in batch:
            insert_variables(instance.id, instance.variables)
    return bulk


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    started = time.monotonic()
    manifest = seed_catalog(spec["catalog_url"], spec["connectors"])
    catalog_seconds = time.monotonic() - started
    manifest.update(seed_instances(spec["instance_url"], spec["secret_keys"], manifest["connectors"],
                                   spec["instances"]))
    manifest["project"] = PROJECT
    manifest["search_word"] = SEARCH_WORD
    manifest["seconds"] = {"catalog": round(catalog_seconds, 1),
                           "instances": round(time.monotonic() - started - catalog_seconds, 1)}
    Path(spec["manifest"]).write_text(json.dumps(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
