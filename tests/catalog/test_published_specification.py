"""What a publish keeps of connect.yaml, and what a hostile connect.yaml costs the catalog (issue 13.3).

Real git repositories, a real catalog server over gRPC on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading

import grpc

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from tests.catalog.gitrepos import GOOD_FILES, make_repo, publish_and_wait
from tests.catalog.test_drafts_rpc import Action, create, update

ERROR = spb.CONNECTOR_REPORT_ENTRY_TYPE_ERROR

EVERY_FIELD = """\
deployAs:
  - name: api
    applicationType: service
    endpoint: /api
    scripts: {postDeploy: npm run connector:post-deploy, preUndeploy: npm run connector:pre-undeploy}
    healthCheck: {path: /api/health, intervalSeconds: 10, timeoutSeconds: 5, unhealthyThreshold: 3}
    configuration:
      standardConfiguration:
        - {key: 3DS_ENABLED, description: 3-D Secure, default: no}
  - name: events
    applicationType: event
    endpoint: /events
    retryPolicy: {strategy: exponential-backoff, minBackoffSeconds: 5, maxBackoffSeconds: 300, maxAttempts: 10}
  - name: nightly
    applicationType: job
    endpoint: /nightly
    properties: {schedule: "0 3 * * *"}
  - name: web
    applicationType: assets
  - name: settings
    applicationType: mc-app
    configuration:
      standardConfiguration:
        - {key: CUSTOM_APPLICATION_ID, description: Custom application id, required: true}
        - {key: ENTRY_POINT_URI_PATH, description: Entry point, required: true}
        - {key: CLOUD_IDENTIFIER, description: Cloud, default: gcp-eu}
  - name: panel
    applicationType: merchant-center-custom-view
    configuration:
      standardConfiguration:
        - {key: CUSTOM_VIEW_ID, description: Custom view id, required: true}
        - {key: CLOUD_IDENTIFIER, description: Cloud, required: true}
"""


def alias_bomb() -> str:
    """Issue 13.3's file: one anchor of 1 000 keys aliased by 1 000 applications (86 KB and more)."""
    anchor = "keys: &keys\n" + "".join(f"  - {{key: KEY_{n}, description: d}}\n" for n in range(1000))
    apps = "".join(f"  - {{name: app-{n}, applicationType: service, endpoint: /a, configuration: "
                   f"{{standardConfiguration: *keys}}}}\n" for n in range(1000))
    return anchor + "deployAs:\n" + apps


def test_every_application_type_and_field_is_kept_and_shown(catalog, unique, tmp_path):
    url = make_repo(tmp_path / "r", {"connect.yaml": EVERY_FIELD})
    draft = create(catalog, f"fields-{unique}", repository=spb.Repository(url=url, tag="v1.0.0"))
    done = publish_and_wait(catalog, draft)
    assert done.status == spb.CONNECTOR_STATUS_PUBLISHED, [(e.title, e.message) for e in done.publishing_report.entries]
    connector = catalog.GetConnector(pb.GetConnectorRequest(id=done.id, project="acme"))
    api, events, nightly, web, settings, panel = connector.latest.specification.applications
    assert (api.application_type, api.endpoint) == ("service", "/api")
    assert (api.scripts.post_deploy, api.scripts.pre_undeploy) == ("npm run connector:post-deploy",
                                                                   "npm run connector:pre-undeploy")
    assert (api.health_check.path, api.health_check.interval_seconds, api.health_check.timeout_seconds,
            api.health_check.unhealthy_threshold) == ("/api/health", 10, 5, 3)
    assert [(k.key, k.default) for k in api.standard_configuration] == [("3DS_ENABLED", "no")]
    assert not api.HasField("retry_policy") and not api.HasField("properties")
    assert (events.retry_policy.strategy, events.retry_policy.min_backoff_seconds,
            events.retry_policy.max_backoff_seconds, events.retry_policy.max_attempts) == (
        "exponential-backoff", 5, 300, 10)
    assert (nightly.endpoint, nightly.properties.schedule) == ("/nightly", "0 3 * * *")
    assert (web.application_type, web.endpoint, web.HasField("scripts")) == ("assets", "", False)
    assert (settings.application_type, panel.application_type) == ("mc-app", "merchant-center-custom-view")
    # The draft's representation shows the same applications.
    staged = catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=done.id, project="acme"))
    assert list(staged.configurations) == list(connector.latest.specification.applications)


def test_an_alias_bomb_fails_its_publish_while_the_catalog_keeps_serving(catalog, unique, tmp_path):
    good = create(catalog, f"good-{unique}", repository=spb.Repository(url=make_repo(tmp_path / "good", GOOD_FILES),
                                                                        tag="v1.0.0"))
    good = publish_and_wait(catalog, good)
    assert good.status == spb.CONNECTOR_STATUS_PUBLISHED

    bomb = create(catalog, f"bomb-{unique}", repository=spb.Repository(
        url=make_repo(tmp_path / "bomb", {"connect.yaml": alias_bomb()}), tag="v1.0.0"))
    processing = update(catalog, bomb, Action(publish=Action.Publish(certification=False)))
    assert processing.status == spb.CONNECTOR_STATUS_PROCESSING
    # While the job runs, other calls are answered (each within a deadline far shorter than the 17-21 s
    # they waited before the reading was bounded and moved out of the catalog's process).
    answered, failures = 0, []
    settled = threading.Event()

    def watch() -> None:
        from tests.catalog.gitrepos import settled as wait_settled
        wait_settled(catalog, bomb.id)
        settled.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    while not settled.is_set() or answered < 3:
        try:
            catalog.GetConnector(pb.GetConnectorRequest(id=good.id, project="acme"), timeout=5)
            catalog.ListConnectors(pb.ListConnectorsRequest(project="acme"), timeout=5)
            answered += 1
        except grpc.RpcError as exc:
            failures.append(exc.code())
            break
    watcher.join(timeout=30)
    assert failures == [] and answered >= 3

    failed = catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=bomb.id, project="acme"))
    assert failed.status == spb.CONNECTOR_STATUS_FAILED
    errors = [(e.title, e.message) for e in failed.publishing_report.entries if e.type == ERROR]
    assert len(errors) == 1 and errors[0][0] == "Connector specification file not valid"
    assert errors[0][1].startswith("connect.yaml: not valid YAML: expanding the aliases makes the document larger")
    # The catalog keeps serving every project's reads.
    listed = catalog.ListConnectors(pb.ListConnectorsRequest(project="acme", limit=500))
    assert good.id in [c.id for c in listed.results]


def test_deep_nesting_and_oversize_files_are_clear_errors(catalog, unique, tmp_path):
    cases = {
        "deep": ("[" * 20_000 + "]" * 20_000,
                 "connect.yaml: not valid YAML: the document is nested deeper than 64 levels at line 1, column 65"),
        "big": ("#" + "x" * (256 * 1024) + "\n",
                "connect.yaml: the file is larger than 256 KiB (PLUGBOARD_SPEC_MAX_BYTES)"),
        "big-plugboard": (None, "plugboard.yaml: the file is larger than 256 KiB (PLUGBOARD_SPEC_MAX_BYTES)"),
    }
    for name, (text, expected) in cases.items():
        files = ({"connect.yaml": text} if text is not None else
                 {"connect.yaml": GOOD_FILES["connect.yaml"], "plugboard.yaml": "#" + "x" * (256 * 1024)})
        draft = create(catalog, f"{name}-{unique}", repository=spb.Repository(
            url=make_repo(tmp_path / name, files), tag="v1.0.0"))
        done = publish_and_wait(catalog, draft)
        assert done.status == spb.CONNECTOR_STATUS_FAILED
        assert [e.message for e in done.publishing_report.entries if e.type == ERROR] == [expected]


def test_stored_specifications_keep_every_field_and_older_ones_still_read():
    from catalog_service.storage.codec import spec_from_dict, spec_to_dict
    from catalog_service.domain.specification import read_specification

    spec = read_specification(EVERY_FIELD).specification
    assert spec_from_dict(spec_to_dict(spec)) == spec
    older = {"applications": [{"name": "app", "type": "service", "standard": [], "secured": []}],
             "global_standard": [], "global_secured": [], "connection": None, "api_client_scopes": []}
    (app,) = spec_from_dict(older).applications
    assert (app.endpoint, app.schedule, app.health_check, app.retry_policy) == ("", "", None, None)
