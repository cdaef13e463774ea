"""connect.yaml rule by rule: minimal valid and invalid files for each rule of commercetools' schema.

Each case is derived from one rule of the official schema (npm ``@commercetools-connect/specification``
0.0.16, ``dist/schemas/specification-v1.schema.js``): the smallest file that keeps it, and the smallest
that breaks it. Plugboard's verdict and message are checked here; ``test_the_table_agrees_with_the_official_parser``
runs commercetools' parser itself on the same files (skipped without node, failing under CI=true).
The connection section (plugboard.yaml) is Plugboard's own and is tested after the table.
"""

from __future__ import annotations

import pytest

from catalog_service.domain import yaml12
from catalog_service.domain.specification import SpecLimits, read_specification
from tests.catalog.official_parser import official_verdicts


def app(fields: str) -> str:
    return f"deployAs:\n  - {{{fields}}}\n"


SVC = "name: svc, applicationType: service, endpoint: /svc"
EVT = "name: evt, applicationType: event, endpoint: /evt"
JOB = "name: job, applicationType: job, endpoint: /job, properties: {schedule: '0 0 * * *'}"
MC_CONFIG = ("configuration: {standardConfiguration: [{key: CUSTOM_APPLICATION_ID, description: id, required: true}, "
             "{key: ENTRY_POINT_URI_PATH, description: path, required: true}, "
             "{key: CLOUD_IDENTIFIER, description: cloud, default: gcp-eu}]}")
VIEW_CONFIG = ("configuration: {standardConfiguration: [{key: CUSTOM_VIEW_ID, description: id, required: true}, "
               "{key: CLOUD_IDENTIFIER, description: cloud, required: true}]}")


def std(entry: str, base: str = SVC) -> str:
    return app(f"{base}, configuration: {{standardConfiguration: [{entry}]}}")


def sec(entry: str, base: str = SVC) -> str:
    return app(f"{base}, configuration: {{securedConfiguration: [{entry}]}}")


def health(check: str) -> str:
    return app(f"{SVC}, healthCheck: {check}")


def retry(policy: str) -> str:
    return app(f"{EVT}, retryPolicy: {policy}")


def inherit(section: str, apps: str = f"[{{{SVC}}}]") -> str:
    return f"inheritAs: {section}\ndeployAs: {apps}\n"


OK = None
# (file, None when valid, else a message Plugboard must give)
RULES = [
    # the file: a strict object with a required deployAs list
    ("deployAs: []\n", OK),
    ("{}\n", "[deployAs]: Required"),
    ("", "[file content]: Expected object, received null"),
    ("- a\n", "[file content]: Expected object, received array"),
    ("deployAs: {}\n", "[deployAs]: Expected array, received object"),
    ("deployAs: []\nname: x\n", "[file content]: Unrecognized key(s) in object: 'name'"),
    ("deployAs: [web]\n", "[deployAs.0]: Expected object, received string"),
    # every application type, minimal
    (app(SVC), OK),
    (app(EVT), OK),
    (app(JOB), OK),
    (app("name: web, applicationType: assets"), OK),
    (app(f"name: mc, applicationType: merchant-center-custom-application, {MC_CONFIG}"), OK),
    (app(f"name: mc, applicationType: mc-app, {MC_CONFIG}"), OK),
    (app(f"name: view, applicationType: merchant-center-custom-view, {VIEW_CONFIG}"), OK),
    (app("name: other, applicationType: unknown, endpoint: /x"), OK),
    (app("name: svc, applicationType: lambda, endpoint: /x"),
     "[deployAs.0.applicationType]: Invalid discriminator value. Expected 'service' | 'event' | 'job' | 'assets' | "
     "'merchant-center-custom-application' | 'mc-app' | 'merchant-center-custom-view' | 'unknown'"),
    (app("name: svc, endpoint: /x"), "[deployAs.0.applicationType]: Invalid discriminator value."),
    # name
    (app("name: ab, applicationType: assets"), OK),
    (app("name: a, applicationType: assets"), "[deployAs.0.name]: Invalid"),
    (app("name: 'my app!', applicationType: assets"), "[deployAs.0.name]: Invalid"),
    (app(f"name: {'a' * 257}, applicationType: assets"), "[deployAs.0.name]: Invalid"),
    (app("name: 12, applicationType: assets"), "[deployAs.0.name]: Expected string, received number"),
    (app("applicationType: assets"), "[deployAs.0.name]: Required"),
    ("deployAs:\n  - {name: web, applicationType: assets}\n  - {name: web, applicationType: assets}\n",
     "[file content]: Duplicate application name found: web"),
    # endpoint
    (app("name: svc, applicationType: service"), "[deployAs.0.endpoint]: Required"),
    (app("name: svc, applicationType: service, endpoint: /"), OK),
    (app("name: svc, applicationType: service, endpoint: a/b-c_D9"), OK),
    (app("name: svc, applicationType: service, endpoint: /a//b"), "[deployAs.0.endpoint]: Double slashes are not allowed"),
    (app("name: svc, applicationType: service, endpoint: /a.b"), "[deployAs.0.endpoint]: Invalid"),
    (app("name: svc, applicationType: service, endpoint: ''"), "[deployAs.0.endpoint]: Invalid"),
    (app("name: job, applicationType: job, properties: {schedule: '@daily'}"), "[deployAs.0.endpoint]: Required"),
    (app("name: web, applicationType: assets, endpoint: /x"), "[deployAs.0]: Unrecognized key(s) in object: 'endpoint'"),
    (app(f"name: mc, applicationType: mc-app, endpoint: /x, {MC_CONFIG}"),
     "[deployAs.0]: Unrecognized key(s) in object: 'endpoint'"),
    # job schedule
    (app("name: job, applicationType: job, endpoint: /job"), "[deployAs.0.properties]: Required"),
    (app("name: job, applicationType: job, endpoint: /job, properties: {}"), "[deployAs.0.properties.schedule]: Required"),
    (app("name: job, applicationType: job, endpoint: /job, properties: {schedule: '@every 1h30m'}"), OK),
    (app("name: job, applicationType: job, endpoint: /job, properties: {schedule: '*/5 * * * *'}"), OK),
    (app("name: job, applicationType: job, endpoint: /job, properties: {schedule: every day}"),
     "[deployAs.0.properties.schedule]: Please provide a valid cron schedule string"),
    (app("name: job, applicationType: job, endpoint: /job, properties: {schedule: '@daily', tz: UTC}"),
     "[deployAs.0.properties]: Unrecognized key(s) in object: 'tz'"),
    (app(f"{SVC}, properties: {{schedule: '@daily'}}"), "[deployAs.0]: Unrecognized key(s) in object: 'properties'"),
    # scripts
    (app(f"{SVC}, scripts: {{postDeploy: npm run setup, preUndeploy: npm run teardown}}"), OK),
    (app(f"{SVC}, scripts: {{postDeploy: ''}}"), "[deployAs.0.scripts.postDeploy]: String must contain at least 1"),
    (app(f"{SVC}, scripts: {{preUndeploy: '  '}}"),
     "[deployAs.0.scripts.preUndeploy]: preUndeploy value cannot be only whitespace"),
    (app(f"{SVC}, scripts: {{postdeploy: x}}"), "[deployAs.0.scripts]: Unrecognized key(s) in object: 'postdeploy'"),
    (app("name: web, applicationType: assets, scripts: {postDeploy: x}"),
     "[deployAs.0]: Unrecognized key(s) in object: 'scripts'"),
    # configuration keys
    (std("{key: SHOP_DOMAIN, description: Shop host}"), OK),
    (std("{key: 3DS_ENABLED, description: 3-D Secure}"), OK),
    (std("{key: port_number, description: x}"), OK),
    (std("{key: PORT, description: x}"), '[deployAs.0.configuration.standardConfiguration.0.key]: Key "PORT" is a reserved word'),
    (std("{key: port, description: x}"), 'Key "port" is a reserved word'),
    (sec("{key: K_SERVICE, description: x}"), 'Key "K_SERVICE" is a reserved word'),
    (std("{key: k_Revision, description: x}"), 'Key "k_Revision" is a reserved word'),
    (std("{key: K_CONFIGURATION, description: x}"), 'Key "K_CONFIGURATION" is a reserved word'),
    (std("{key: SHOP-DOMAIN, description: x}"), 'Invalid configuration key: "SHOP-DOMAIN"'),
    (std("{key: A, description: x}"), 'Invalid configuration key: "A"'),
    (std(f"{{key: {'A' * 257}, description: x}}"), "Invalid configuration key"),
    (std("{key: 123, description: x}"), "[deployAs.0.configuration.standardConfiguration.0.key]: Expected string, received number"),
    (std("{description: x}"), "[deployAs.0.configuration.standardConfiguration.0.key]: Required"),
    # descriptions
    (std("{key: AB}"), "[deployAs.0.configuration.standardConfiguration.0.description]: Required"),
    (std("{key: AB, description: ''}"), "String must contain at least 1 character(s)"),
    (std("{key: AB, description: '   '}"), "Description cannot be only whitespace"),
    (sec("{key: AB, description: \"\\u3000\"}"), "Description cannot be only whitespace"),
    (std("{key: AB, description: 5}"), "description]: Expected string, received number"),
    # required
    (std("{key: AB, description: x, required: true}"), OK),
    (std("{key: AB, description: x, required: yes}"), "required]: Expected boolean, received string"),
    (std("{key: AB, description: x, required: }"), "required]: Expected boolean, received null"),
    # defaults: strings, never blank, not on secured keys
    (std("{key: AB, description: x, default: no}"), OK),
    (std("{key: AB, description: x, default: '50'}"), OK),
    (std("{key: AB, description: x, default: 50}"), "default]: Expected string, received number"),
    (std("{key: AB, description: x, default: true}"), "default]: Expected string, received boolean"),
    (std("{key: AB, description: x, default: }"), "default]: Expected string, received null"),
    (std("{key: AB, description: x, default: ''}"), "default]: String must contain at least 1 character(s)"),
    (std("{key: AB, description: x, default: ' '}"), "default]: Default value cannot be only whitespace"),
    (sec("{key: AB, description: x, default: v}"),
     "[deployAs.0.configuration.securedConfiguration.0]: Unrecognized key(s) in object: 'default'"),
    (std("{key: AB, description: x, requried: true}"),
     "[deployAs.0.configuration.standardConfiguration.0]: Unrecognized key(s) in object: 'requried'"),
    (app(f"{SVC}, configuration: "), "[deployAs.0.configuration]: Expected object, received null"),
    (app(f"{SVC}, configuration: {{settings: []}}"), "[deployAs.0.configuration]: Unrecognized key(s) in object: 'settings'"),
    (app("name: web, applicationType: assets, configuration: {}"), "Unrecognized key(s) in object: 'configuration'"),
    # duplicate keys: within an application, and against inheritAs
    (app(f"{SVC}, configuration: {{standardConfiguration: [{{key: AB, description: x}}], "
         "securedConfiguration: [{key: AB, description: y}]}"), "[deployAs.0.configuration]: Duplicate key found AB"),
    ("deployAs:\n  - {" + SVC + ", configuration: {standardConfiguration: [{key: AB, description: x}]}}\n"
     "  - {" + EVT + ", configuration: {standardConfiguration: [{key: AB, description: x}]}}\n", OK),
    (inherit("{configuration: {standardConfiguration: [{key: AB, description: x}]}}",
             f"[{{{SVC}, configuration: {{securedConfiguration: [{{key: AB, description: y}}]}}}}]"),
     "[file content]: Duplicate global key found AB"),
    (inherit("{configuration: {securedConfiguration: [{key: AB, description: x}, {key: AB, description: y}]}}"),
     "[inheritAs.configuration]: Duplicate key found AB"),
    # inheritAs and apiClient
    (inherit("{configuration: {standardConfiguration: [{key: AB, description: x}]}, apiClient: {scopes: [manage_project]}}"), OK),
    (inherit("{apiClient: {scopes: []}}"), "[inheritAs.apiClient.scopes]: Array must contain at least 1 element(s)"),
    (inherit("{apiClient: {scopes: ['']}}"), "[inheritAs.apiClient.scopes.0]: String must contain at least 1 character(s)"),
    (inherit("{apiClient: {}}"), "[inheritAs.apiClient.scopes]: Required"),
    (inherit("{apiClient: {scopes: [a], roles: [b]}}"), "[inheritAs.apiClient]: Unrecognized key(s) in object: 'roles'"),
    (inherit("{secrets: []}"), "[inheritAs]: Unrecognized key(s) in object: 'secrets'"),
    # healthCheck (service, event)
    (health("{path: /health, intervalSeconds: 1, timeoutSeconds: 20, unhealthyThreshold: 3}"), OK),
    (app(f"{EVT}, healthCheck: {{path: /health}}"), OK),
    (health("{intervalSeconds: 5}"), "[deployAs.0.healthCheck.path]: Required"),
    (health("{path: /a//b}"), "[deployAs.0.healthCheck.path]: Double slashes are not allowed"),
    (health("{path: /h, intervalSeconds: 0}"), "[deployAs.0.healthCheck.intervalSeconds]: Number must be greater than or equal to 1"),
    (health("{path: /h, timeoutSeconds: 21}"), "[deployAs.0.healthCheck.timeoutSeconds]: Number must be less than or equal to 20"),
    (health("{path: /h, unhealthyThreshold: 2.5}"), "[deployAs.0.healthCheck.unhealthyThreshold]: Expected integer, received float"),
    (health("{path: /h, intervalSeconds: '5'}"), "[deployAs.0.healthCheck.intervalSeconds]: Expected number, received string"),
    (health("{path: /h, retries: 3}"), "[deployAs.0.healthCheck]: Unrecognized key(s) in object: 'retries'"),
    (app(f"{JOB}, healthCheck: {{path: /h}}"), "[deployAs.0]: Unrecognized key(s) in object: 'healthCheck'"),
    # retryPolicy (event)
    (retry("{strategy: immediate}"), OK),
    (retry("{strategy: exponential-backoff, minBackoffSeconds: 10, maxBackoffSeconds: 10, maxAttempts: 5}"), OK),
    (retry("{strategy: exponential-backoff, minBackoffSeconds: 1, maxBackoffSeconds: 600, maxAttempts: 100}"), OK),
    (retry("{strategy: linear}"),
     "[deployAs.0.retryPolicy.strategy]: Invalid discriminator value. Expected 'exponential-backoff' | 'immediate'"),
    (retry("{minBackoffSeconds: 1}"), "[deployAs.0.retryPolicy.strategy]: Invalid discriminator value."),
    (retry("{strategy: exponential-backoff, minBackoffSeconds: 20, maxBackoffSeconds: 10}"),
     "[deployAs.0.retryPolicy.minBackoffSeconds]: minBackoffSeconds must be less than or equal to maxBackoffSeconds"),
    (retry("{strategy: exponential-backoff, maxBackoffSeconds: 10}"), "[deployAs.0.retryPolicy.minBackoffSeconds]: Required"),
    (retry("{strategy: exponential-backoff, minBackoffSeconds: 0, maxBackoffSeconds: 10}"),
     "[deployAs.0.retryPolicy.minBackoffSeconds]: Number must be greater than or equal to 1"),
    (retry("{strategy: exponential-backoff, minBackoffSeconds: 1, maxBackoffSeconds: 601}"),
     "[deployAs.0.retryPolicy.maxBackoffSeconds]: Number must be less than or equal to 600"),
    (retry("{strategy: exponential-backoff, minBackoffSeconds: 1, maxBackoffSeconds: 2, maxAttempts: 4}"),
     "[deployAs.0.retryPolicy.maxAttempts]: Number must be greater than or equal to 5"),
    (retry("{strategy: immediate, maxAttempts: 5}"), "[deployAs.0.retryPolicy]: Unrecognized key(s) in object: 'maxAttempts'"),
    (app(f"{SVC}, retryPolicy: {{strategy: immediate}}"), "[deployAs.0]: Unrecognized key(s) in object: 'retryPolicy'"),
    # Merchant Center
    (app("name: mc, applicationType: merchant-center-custom-application, configuration: {standardConfiguration: "
         "[{key: ENTRY_POINT_URI_PATH, description: p, required: true}, {key: CLOUD_IDENTIFIER, description: c, "
         "required: true}]}"), "[deployAs.0]: Mc app must have CUSTOM_APPLICATION_ID"),
    (app("name: mc, applicationType: mc-app, configuration: {standardConfiguration: "
         "[{key: CUSTOM_APPLICATION_ID, description: i, required: true}, {key: ENTRY_POINT_URI_PATH, description: p}, "
         "{key: CLOUD_IDENTIFIER, description: c, required: true}]}"), "[deployAs.0]: Mc app must have ENTRY_POINT_URI_PATH"),
    (app("name: mc, applicationType: mc-app, configuration: {standardConfiguration: "
         "[{key: CUSTOM_APPLICATION_ID, description: i, required: true}, {key: ENTRY_POINT_URI_PATH, description: p, "
         "required: true}]}"), "[file content]: Application mc is missing CLOUD_IDENTIFIER configuration."),
    (inherit("{configuration: {standardConfiguration: [{key: CLOUD_IDENTIFIER, description: c, required: true}]}}",
             "[{name: mc, applicationType: mc-app, configuration: {standardConfiguration: [{key: CUSTOM_APPLICATION_ID, "
             "description: i, required: true}, {key: ENTRY_POINT_URI_PATH, description: p, required: true}]}}]"), OK),
    (app(f"name: mc, applicationType: mc-app, {MC_CONFIG[:-1]}, securedConfiguration: [{{key: TOKEN, description: t}}]}}"),
     "[file content]: Secured configuration is not allowed in merchant center custom application."),
    (app("name: view, applicationType: merchant-center-custom-view, configuration: {standardConfiguration: "
         "[{key: CLOUD_IDENTIFIER, description: c, required: true}]}"),
     "[deployAs.0]: Merchant center custom view must have CUSTOM_VIEW_ID"),
    (app(f"name: view, applicationType: merchant-center-custom-view, {VIEW_CONFIG[:-1]}, "
         "securedConfiguration: [{key: TOKEN, description: t}]}"),
     "[file content]: Secured configuration is not allowed in merchant center custom view."),
    # YAML 1.2 as the yaml package reads it
    ("deployAs: []\ndeployAs: []\n", "not valid YAML: Map keys must be unique at line 2, column 1"),
    ("deployAs: []\n---\ndeployAs: []\n", "not valid YAML: Source contains multiple documents"),
    ("deployAs: [\n", "not valid YAML: "),
    ("<<: {deployAs: []}\n", "[file content]: Unrecognized key(s) in object: '<<'"),
    ("deployAs:\n  - name: web\n    applicationType: \"as\n     sets\"\n",
     "[deployAs.0.applicationType]: Invalid discriminator value."),  # folded: "as sets"
    ("deployAs:\n  - name: web\n    applicationType: \"assets\n    \"\n", "not valid YAML: Missing closing \"quote"),
    ("deployAs: []\ninheritAs:\n  apiClient:\n    scopes:\n      - 'manage\n      _orders'\n",
     "not valid YAML: Missing closing 'quote"),
    ("deployAs: []\n\t# a comment after a tab\n", OK),
    ("deployAs: [] # comment\n...\n", OK),
    ("%YAML 1.2\n---\ndeployAs: []\n", OK),
    ("base: &b {key: AB, description: x}\ndeployAs: []\n", "[file content]: Unrecognized key(s) in object: 'base'"),
    ("deployAs:\n  - &a {name: web, applicationType: assets}\n  - *a\n", "Duplicate application name found: web"),
    ("s: &s x\ndeployAs: [" + ", ".join(["*s"] * 101) + "]\n",
     "not valid YAML: Excessive alias count indicates a resource exhaustion attack"),
]


def _id(case: tuple[str, str | None]) -> str:
    text, expected = case
    return ("valid: " if expected is None else "invalid: ") + text.replace("\n", " ")[:90]


@pytest.mark.parametrize("case", RULES, ids=[_id(case) for case in RULES])
def test_each_rule_of_the_official_schema(case):
    text, expected = case
    reading = read_specification(text)
    if expected is None:
        assert reading.errors == () and reading.specification is not None
    else:
        assert reading.specification is None
        assert any(expected in error for error in reading.errors), reading.errors
        assert all(error.startswith("connect.yaml: ") for error in reading.errors)


def test_the_table_agrees_with_the_official_parser():
    """commercetools' parser gives the same verdict on every file of the table, and where both find the
    file invalid by the schema's rules, the same messages."""
    verdicts = official_verdicts([text for text, _ in RULES])
    disagreements = []
    for (text, expected), (valid, official_errors) in zip(RULES, verdicts):
        ours = read_specification(text).errors
        if valid != (expected is None):
            disagreements.append((text, official_errors))
        elif not valid and all(line.startswith("[") for line in official_errors):
            if sorted(e.removeprefix("connect.yaml: ") for e in ours) != sorted(official_errors):
                disagreements.append((text, official_errors, ours))
    assert disagreements == []


def test_published_fields_of_every_application_type():
    text = (
        "deployAs:\n"
        f"  - {{{SVC}, scripts: {{postDeploy: npm run setup, preUndeploy: npm run teardown}},\n"
        "     healthCheck: {path: /health, intervalSeconds: 5, timeoutSeconds: 2, unhealthyThreshold: 3}}\n"
        f"  - {{{EVT}, retryPolicy: {{strategy: exponential-backoff, minBackoffSeconds: 5, maxBackoffSeconds: 60,"
        " maxAttempts: 10}}\n"
        f"  - {{{JOB}}}\n"
        f"  - {{name: mc, applicationType: mc-app, {MC_CONFIG}}}\n"
    )
    reading = read_specification(text)
    assert reading.errors == ()
    svc, evt, job, mc = reading.specification.applications
    assert (svc.endpoint, svc.post_deploy, svc.pre_undeploy) == ("/svc", "npm run setup", "npm run teardown")
    assert (svc.health_check.path, svc.health_check.interval_seconds, svc.health_check.timeout_seconds,
            svc.health_check.unhealthy_threshold) == ("/health", 5, 2, 3)
    assert (evt.retry_policy.strategy, evt.retry_policy.min_backoff_seconds, evt.retry_policy.max_backoff_seconds,
            evt.retry_policy.max_attempts) == ("exponential-backoff", 5, 60, 10)
    assert (job.endpoint, job.schedule) == ("/job", "0 0 * * *")
    assert (mc.type, mc.endpoint, [k.default for k in mc.standard]) == ("mc-app", "", ["", "", "gcp-eu"])


# Work bounds (issue 13.3): none of these may cost more than a bounded amount, and each is one clear entry.
def test_an_alias_bomb_is_refused_without_expanding_it():
    anchor = "keys: &keys\n" + "".join(f"  - {{key: KEY_{n}, description: d}}\n" for n in range(1000))
    apps = "".join(f"  - {{name: app-{n}, applicationType: service, endpoint: /a, configuration: "
                   f"{{standardConfiguration: *keys}}}}\n" for n in range(1000))
    text = anchor + "deployAs:\n" + apps
    assert 80_000 < len(text) < 256 * 1024
    reading = read_specification(text)
    assert reading.specification is None
    assert reading.errors == ("connect.yaml: not valid YAML: expanding the aliases makes the document larger than "
                              "200000 nodes or 1048576 characters at line 1041, column 99",)


def test_expansion_within_the_alias_rule_is_still_bounded():
    """Fewer than 100 uses of a large anchor stays within the yaml package's rule, but not within the
    expansion budget: the document is refused before its expanded form is built."""
    limits = SpecLimits(yaml=yaml12.YamlLimits(max_expanded_chars=100_000))
    text = "big: &big '" + "x" * 20_000 + "'\nlist: [" + ", ".join(["*big"] * 10) + "]\n"
    reading = read_specification(text, limits=limits)
    assert reading.specification is None
    assert "not valid YAML: expanding the aliases makes the document larger than" in reading.errors[0]


def test_a_deeply_nested_document_is_not_valid_yaml():
    reading = read_specification("[" * 20_000 + "]" * 20_000)
    assert reading.errors == ("connect.yaml: not valid YAML: the document is nested deeper than 64 levels at "
                              "line 1, column 65",)


def test_an_oversized_file_is_refused_before_parsing():
    reading = read_specification("#" + "x" * (256 * 1024))
    assert reading.errors == ("connect.yaml: the file is larger than 256 KiB",)


def test_caps_on_applications_and_keys():
    apps = "".join(f"  - {{name: app-{n}, applicationType: assets}}\n" for n in range(101))
    assert read_specification("deployAs:\n" + apps).errors == (
        "connect.yaml: [deployAs]: Plugboard publishes at most 100 applications (this file has 101)",)
    keys = ", ".join(f"{{key: KEY_{n}, description: d}}" for n in range(11))
    reading = read_specification(std(keys), limits=SpecLimits(max_keys=10))
    assert reading.errors == ("connect.yaml: Plugboard publishes at most 10 configuration keys per connector "
                              "(this file has 11)",)


# Plugboard's connection section (plugboard.yaml).
KEYS = app(f"{SVC}, configuration: {{standardConfiguration: [{{key: HOST, description: h, required: true}}], "
           "securedConfiguration: [{key: TOKEN, description: t}, {key: CLIENT_ID, description: i}, "
           "{key: CLIENT_SECRET, description: s}]}")


@pytest.mark.parametrize(
    ("plugboard", "problem"),
    [
        ("connection: {baseUrl: 'ftp://{HOST}'}\n", "[connection.baseUrl]: must be an http or https URL"),
        ("connection: {baseUrl: 'https://{NOPE}'}\n", "[connection.baseUrl]: references {NOPE}"),
        ("connection: {baseUrl: 'https://{HOST}', authentication: {type: kerberos}}\n",
         "[connection.authentication.type]: must be one of"),
        ("connection: {baseUrl: 'https://{HOST}', authentication: {type: bearer}}\n",
         "[connection.authentication.tokenVariable]: is required for bearer"),
        ("connection: {baseUrl: 'https://{HOST}', authentication: {type: oauth2_client_credentials, "
         "clientIdVariable: CLIENT_ID, clientSecretVariable: CLIENT_SECRET}}\n",
         "[connection.authentication.tokenUrl]: is required for oauth2_client_credentials"),
        ("connection: {baseUrl: 'https://{HOST}', testRequest: {expectedStatus: [200, 99]}}\n",
         "[connection.testRequest.expectedStatus.1]: must be an HTTP status from 100 to 599"),
        ("connection: {baseUrl: 'https://{HOST}', testRequest: {method: BREW}}\n",
         "[connection.testRequest.method]: must be one of"),
        ("- connection\n", "must be a mapping with a connection section"),
        ("connection: {baseUrl: 'https://{HOST}'}\nconnection: {}\n", "not valid YAML: Map keys must be unique"),
    ],
)
def test_each_connection_problem_names_its_file_and_path(plugboard, problem):
    reading = read_specification(KEYS, plugboard)
    assert reading.specification is None
    assert any(p.startswith("plugboard.yaml: ") and problem in p for p in reading.errors), reading.errors


def test_a_full_specification_parses_every_section():
    reading = read_specification(KEYS + """inheritAs:
  configuration: {standardConfiguration: [{key: REGION, description: r, default: eu}]}
  apiClient: {scopes: [manage_orders]}
""", """connection:
  baseUrl: "https://{HOST}/v1"
  authentication: {type: oauth2_client_credentials, tokenUrl: "https://{HOST}/token",
                   clientIdVariable: CLIENT_ID, clientSecretVariable: CLIENT_SECRET, scopes: [read]}
  testRequest: {method: head, path: /me, expectedStatus: [204], headers: {Accept: application/json}}
""")
    assert reading.errors == ()
    spec = reading.specification
    assert [k.key for k in spec.global_standard] == ["REGION"] and spec.api_client_scopes == ("manage_orders",)
    auth = spec.connection.authentication
    assert (auth.type, auth.token_url_template, auth.scopes) == ("oauth2_client_credentials",
                                                                 "https://{HOST}/token", ("read",))
    request = spec.connection.test_request
    assert (request.method, request.path, request.expected_status, request.headers) == (
        "HEAD", "/me", (204,), (("Accept", "application/json"),))


def test_an_empty_plugboard_yaml_means_no_connection_test():
    reading = read_specification(KEYS, "# nothing yet\n")
    assert reading.errors == () and reading.specification.connection is None
