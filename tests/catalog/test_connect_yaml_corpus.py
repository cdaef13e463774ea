"""The shared corpus of real connect.yaml files, published through the real publishing job.

``tests/fixtures/connect_yaml_corpus`` holds 81 files (53 from public commercetools Connect repositories,
6 unrelated files of that name, 19 mutations, 2 derived, and the README's example; ``sources.tsv`` says
where each comes from) and ``official-verdicts.jsonl``: commercetools' own parser's verdict on each, and
for valid files the configuration it extracted. Every file is committed to a real git repository and
published through a real catalog server; the outcome must be commercetools' verdict, and a published
connector must have exactly the applications, keys, descriptions, required flags, defaults and inheritAs
commercetools extracted.
"""

from __future__ import annotations

import json
from pathlib import Path

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from tests.catalog.gitrepos import make_repo, publish_and_wait
from tests.catalog.test_drafts_rpc import create

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "connect_yaml_corpus"
ERROR = spb.CONNECTOR_REPORT_ENTRY_TYPE_ERROR
WARNING = spb.CONNECTOR_REPORT_ENTRY_TYPE_WARNING
# Plugboard reads a top-level `connection` (its own section, now in plugboard.yaml) with a Warning.
CONNECTION_KEY = "[file content]: Unrecognized key(s) in object: 'connection'"


def verdicts() -> list[dict]:
    with open(CORPUS / "official-verdicts.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def official_configuration(verdict: dict) -> dict:
    def standard(keys: list[dict]) -> list[tuple]:
        return [(k["key"], k["description"], bool(k["required"]), k["default"] or "") for k in keys]

    def secured(keys: list[dict]) -> list[tuple]:
        return [(k["key"], k["description"], bool(k["required"])) for k in keys]

    inherit = verdict["inheritAs"] or {"standardKeys": [], "securedKeys": [], "apiClientScopes": []}
    return {
        "applications": [(a["name"], a["applicationType"], standard(a["standardKeys"]), secured(a["securedKeys"]))
                         for a in verdict["applications"]],
        "inheritAs": (standard(inherit["standardKeys"]), secured(inherit["securedKeys"]),
                      list(inherit["apiClientScopes"])),
    }


def published_configuration(connector) -> dict:  # type: ignore[no-untyped-def]
    spec = connector.latest.specification

    def standard(keys) -> list[tuple]:  # type: ignore[no-untyped-def]
        return [(k.key, k.description, k.required, k.default) for k in keys]

    def secured(keys) -> list[tuple]:  # type: ignore[no-untyped-def]
        return [(k.key, k.description, k.required) for k in keys]

    return {
        "applications": [(a.application_name, a.application_type, standard(a.standard_configuration),
                          secured(a.secured_configuration)) for a in spec.applications],
        "inheritAs": (standard(spec.global_configuration.standard_configuration),
                      secured(spec.global_configuration.secured_configuration), list(spec.api_client.scopes)),
    }


def test_every_corpus_file_gets_commercetools_verdict_through_the_publishing_job(catalog, unique, tmp_path):
    cases = verdicts()
    assert len(cases) == 81
    disagreements = []
    for n, verdict in enumerate(cases):
        text = (CORPUS / "files" / verdict["file"]).read_text(encoding="utf-8")
        url = make_repo(tmp_path / f"repo-{n}", {"connect.yaml": text})
        draft = create(catalog, f"corpus-{unique}-{n}", repository=spb.Repository(url=url, tag="v1.0.0"))
        done = publish_and_wait(catalog, draft)
        errors = [e.message for e in done.publishing_report.entries if e.type == ERROR]
        warnings = [e.message for e in done.publishing_report.entries if e.type == WARNING]
        if verdict["valid"]:
            if done.status != spb.CONNECTOR_STATUS_PUBLISHED:
                disagreements.append((verdict["file"], "not published", errors))
                continue
            connector = catalog.GetConnector(pb.GetConnectorRequest(id=done.id, project="acme"))
            if published_configuration(connector) != official_configuration(verdict):
                disagreements.append((verdict["file"], "configuration differs"))
            continue
        if done.status != spb.CONNECTOR_STATUS_FAILED or not errors:
            disagreements.append((verdict["file"], "published, but commercetools refuses it", verdict["errors"]))
            continue
        official = list(verdict["errors"])
        if CONNECTION_KEY in official:  # Plugboard's own section: a Warning here, not an Error
            official.remove(CONNECTION_KEY)
            if not any("move it to plugboard.yaml" in w for w in warnings):
                disagreements.append((verdict["file"], "no warning about the connection section"))
        if all(line.startswith("[") for line in verdict["errors"]):  # the schema's rules: the same messages
            if sorted(e.removeprefix("connect.yaml: ") for e in errors) != sorted(official):
                disagreements.append((verdict["file"], "other messages", official, errors))
        elif not all(e.startswith("connect.yaml: not valid YAML: ") for e in errors):
            disagreements.append((verdict["file"], "a YAML error is not reported as such", errors))
    assert disagreements == []
