"""connect.yaml validation: each problem is reported with the path of the offending node."""

from __future__ import annotations

import pytest

from catalog_service.domain.specification import parse_connect_yaml

APP = "deployAs:\n  - name: app\n    applicationType: service\n"
KEYS = APP + """    configuration:
      standardConfiguration: [{key: HOST, required: true}]
      securedConfiguration: [{key: TOKEN}, {key: CLIENT_ID}, {key: CLIENT_SECRET}]
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{}", "deployAs: is required"),
        ("- a\n- b\n", "must be a mapping with a deployAs list"),
        ("deployAs: []", "deployAs: must list at least one application"),
        ("deployAs: [{applicationType: service}]", "deployAs[0].name: is required"),
        ("deployAs: [{name: x, applicationType: service}]", "deployAs[0].name: must be 2 to 256 characters"),
        ("deployAs: [{name: ab, applicationType: lambda}]", "deployAs[0].applicationType: must be one of"),
        ("deployAs: [{name: ab, applicationType: job}, {name: ab, applicationType: job}]",
         "deployAs[1].name: is used by another application"),
        (APP + "    configuration: {standardConfiguration: [{key: A}], securedConfiguration: [{key: A}]}\n",
         "deployAs[0].configuration: key A is both standard and secured"),
        (APP + "    configuration: {securedConfiguration: [{key: A, default: x}]}\n",
         "deployAs[0].configuration.securedConfiguration[0].default: secured keys cannot have a default"),
        (APP + "    configuration: {standardConfiguration: [{key: A}, {key: A}]}\n",
         "deployAs[0].configuration.standardConfiguration[1].key: is repeated"),
        (APP + "    configuration: {standardConfiguration: [{key: A, required: maybe}]}\n",
         "deployAs[0].configuration.standardConfiguration[0].required: must be true or false"),
        (KEYS + "connection: {baseUrl: 'ftp://{HOST}'}\n", "connection.baseUrl: must be an http or https URL"),
        (KEYS + "connection: {baseUrl: 'https://{NOPE}'}\n", "connection.baseUrl: references {NOPE}"),
        (KEYS + "connection: {baseUrl: 'https://{HOST}', authentication: {type: kerberos}}\n",
         "connection.authentication.type: must be one of"),
        (KEYS + "connection: {baseUrl: 'https://{HOST}', authentication: {type: bearer}}\n",
         "connection.authentication.tokenVariable: is required for bearer"),
        (KEYS + "connection: {baseUrl: 'https://{HOST}', authentication: {type: oauth2_client_credentials, "
                "clientIdVariable: CLIENT_ID, clientSecretVariable: CLIENT_SECRET}}\n",
         "connection.authentication.tokenUrl: is required for oauth2_client_credentials"),
        (KEYS + "connection: {baseUrl: 'https://{HOST}', testRequest: {expectedStatus: [200, 99]}}\n",
         "connection.testRequest.expectedStatus[1]: must be an HTTP status from 100 to 599"),
        (KEYS + "connection: {baseUrl: 'https://{HOST}', testRequest: {method: BREW}}\n",
         "connection.testRequest.method: must be one of"),
        ("x" * (256 * 1024 + 1), "larger than 256 KiB"),
    ],
)
def test_each_problem_names_its_path(text, problem):
    _, problems = parse_connect_yaml(text)
    assert any(problem in p for p in problems), problems


def test_a_full_specification_parses_every_section():
    spec, problems = parse_connect_yaml(KEYS + """inheritAs:
  configuration: {standardConfiguration: [{key: REGION, default: eu}]}
  apiClient: {scopes: [manage_orders]}
connection:
  baseUrl: "https://{HOST}/v1"
  authentication: {type: oauth2_client_credentials, tokenUrl: "https://{HOST}/token",
                   clientIdVariable: CLIENT_ID, clientSecretVariable: CLIENT_SECRET, scopes: [read]}
  testRequest: {method: head, path: /me, expectedStatus: [204], headers: {Accept: application/json}}
""")
    assert problems == []
    assert [k.key for k in spec.global_standard] == ["REGION"] and spec.api_client_scopes == ("manage_orders",)
    auth = spec.connection.authentication
    assert (auth.type, auth.token_url_template, auth.scopes) == ("oauth2_client_credentials",
                                                                 "https://{HOST}/token", ("read",))
    request = spec.connection.test_request
    assert (request.method, request.path, request.expected_status, request.headers) == (
        "HEAD", "/me", (204,), (("Accept", "application/json"),))
