"""commercetools Connect's models as OpenAPI 3.0 schemas, written out from ``@commercetools-connect/sdk``
(``dist/generated/models/connector.d.ts``, ``common.d.ts``, ``error.d.ts``, version 0.0.13): a
property without ``?`` in the .d.ts is required here; ``IntegrationType`` and ``Region`` are open
(``... | string``) in the SDK, so any string matching Plugboard's rules is accepted.

Two properties come from seed 002's examples rather than the SDK: ``ConnectorStaged.certified`` (the
query example shows it) and ``ConnectorReportEntry.application`` (the create example shows it); a
report never made is ``null`` (the query example's ``"publishingReport": null``). Plugboard adds the
``setRepositoryCredentials`` action and ``ConnectorStaged.repositoryCredentials`` (their type and
fingerprint, never a value): a repository URL never carries credentials.
"""

from __future__ import annotations

from typing import Any

STATUSES = ["Draft", "Processing", "ReadyForCertification", "InCertification", "Published", "Failed"]
IS_PREVIEWABLE = ["none", "pending", "true", "false"]
ENTRY_TYPES = ["Information", "Warning", "Error"]
INTEGRATION_TYPES = ["analytics", "crm", "email", "erp", "giftcard", "marketplace", "oms", "other", "pim",
                     "promotion", "psp", "search", "shipping", "tax"]
REGIONS = ["us-central1.gcp", "europe-west1.gcp", "australia-southeast1.gcp", "us-east-2.aws", "eu-central-1.aws"]

_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_BOOLEAN = {"type": "boolean"}
_STRINGS = {"type": "array", "items": _STRING}
_TIME = {"type": "string", "format": "date-time", "example": "2023-08-08T12:20:31.143Z"}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/ct.{name}"}


def _object(properties: dict[str, Any], required: list[str], *, extra: bool = False) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:  # OpenAPI 3.0: a "required" list is never empty
        schema["required"] = required
    return schema


CREATOR = _object({"name": _STRING, "title": _STRING, "email": _STRING, "company": _STRING, "logoUrl": _STRING,
                   "noOfContributors": _INTEGER, "supportUrl": _STRING}, ["email"])
REPOSITORY = _object({"url": _STRING, "tag": _STRING}, ["url", "tag"])
STANDARD_KEY = _object({"key": _STRING, "description": _STRING, "default": _STRING, "required": _BOOLEAN},
                       ["key", "description"])
SECURED_KEY = _object({"key": _STRING, "description": _STRING, "required": _BOOLEAN}, ["key", "description"])
APPLICATION = _object({"applicationName": _STRING, "applicationType": _STRING,
                       "standardConfiguration": {"type": "array", "items": ref("StandardConfigurationKey")},
                       "securedConfiguration": {"type": "array", "items": ref("SecuredConfigurationKey")}},
                      ["applicationName", "applicationType", "standardConfiguration", "securedConfiguration"])
GLOBAL_CONFIGURATION = _object({
    "standardConfiguration": {"type": "array", "items": ref("StandardConfigurationKey")},
    "securedConfiguration": {"type": "array", "items": ref("SecuredConfigurationKey")}}, [])
API_CLIENT = _object({"scopes": _STRINGS}, ["scopes"])
REPORT_ENTRY = _object({"type": {"type": "string", "enum": ENTRY_TYPES}, "title": _STRING, "message": _STRING,
                        "createdAt": _TIME, "application": _STRING}, ["type", "title", "createdAt"])
REPORT = _object({"entries": {"type": "array", "items": ref("ConnectorReportEntry")}}, ["entries"])
NULLABLE_REPORT = {**REPORT, "nullable": True}
COMMENT = _object({"userId": _STRING, "datetime": _TIME, "comment": _STRING, "meetingTime": _TIME},
                  ["userId", "datetime", "comment"])
# Seed 000's submission (step 3: screenshots or demo videos, a support contact; step 1: the declaration of
# intent), which the SDK's models do not have.
MEDIA_TYPES = ["screenshot", "demoVideo"]
MEDIA_LINK = _object({"type": {"type": "string", "enum": MEDIA_TYPES}, "url": _STRING, "title": _STRING},
                     ["type", "url"])
SUPPORT_CONTACT = _object({"email": _STRING, "url": _STRING}, [])
_MEDIA = {"type": "array", "items": {"$ref": "#/components/schemas/ct.MediaLink"}, "maxItems": 20}
_SUBMISSION = {"media": _MEDIA, "supportContact": {"$ref": "#/components/schemas/ct.SupportContact"},
               "declarationOfIntent": _STRING}
CERTIFICATION_INFO = _object({"comments": {"type": "array", "items": ref("CertificationInfoComment")}},
                             ["comments"])
_INTEGRATION_TYPES = {"type": "array", "items": {"type": "string", "example": "other"},
                      "description": "commercetools' integration types: " + ", ".join(INTEGRATION_TYPES)}
_REGIONS = {"type": "array", "items": {"type": "string", "example": "europe-west1.gcp"},
            "description": "regions such as " + ", ".join(REGIONS)}

REPOSITORY_CREDENTIALS = _object({"type": {"type": "string", "enum": ["httpsToken", "sshKey"]},
                                  "fingerprint": _STRING}, ["type", "fingerprint"])

CONNECTOR_STAGED = _object({
    "id": _STRING, "version": _INTEGER, "key": _STRING, "name": _STRING, "description": _STRING,
    "integrationTypes": _INTEGRATION_TYPES, "creator": ref("Creator"), "repository": ref("Repository"),
    "configurations": {"type": "array", "items": ref("ConnectorConfigurationApplication")},
    "globalConfiguration": ref("ConnectorGlobalConfiguration"), "apiClient": ref("ConnectorApiClient"),
    "private": _BOOLEAN, "privateProjects": _STRINGS, "supportedRegions": _REGIONS,
    "certificationInfo": ref("CertificationInfo"), "status": {"type": "string", "enum": STATUSES},
    "publishingReport": NULLABLE_REPORT, "alreadyListed": _BOOLEAN, "hasChanges": _BOOLEAN,
    "isPreviewable": {"type": "string", "enum": IS_PREVIEWABLE}, "previewableReport": NULLABLE_REPORT,
    "documentationUrl": _STRING, "certified": _BOOLEAN, **_SUBMISSION,
    "repositoryCredentials": ref("RepositoryCredentials"),
}, ["id", "version", "name", "description", "integrationTypes", "creator", "repository", "configurations",
    "private", "privateProjects", "supportedRegions", "status", "alreadyListed", "hasChanges", "isPreviewable"])
CONNECTOR = _object({
    "id": _STRING, "key": _STRING, "version": _INTEGER, "name": _STRING, "description": _STRING,
    "integrationTypes": _INTEGRATION_TYPES, "creator": ref("Creator"), "repository": ref("Repository"),
    "configurations": {"type": "array", "items": ref("ConnectorConfigurationApplication")},
    "apiClient": ref("ConnectorApiClient"), "private": _BOOLEAN,
    "globalConfiguration": ref("ConnectorGlobalConfiguration"), "supportedRegions": _REGIONS,
    "certified": _BOOLEAN, "documentationUrl": _STRING,
}, ["id", "version", "name", "integrationTypes", "creator", "repository", "private", "supportedRegions",
    "certified"])
CONNECTOR_DRAFT = _object({
    "key": _STRING, "name": _STRING, "description": _STRING, "integrationTypes": _INTEGRATION_TYPES,
    "creator": ref("Creator"), "repository": ref("Repository"), "supportedRegions": _REGIONS,
    "privateProjects": _STRINGS, "documentationUrl": _STRING, **_SUBMISSION,
}, ["name", "creator", "repository"])


def _action(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return _object({"action": {"type": "string", "enum": [name]}, **properties}, ["action", *required])


# ConnectorUpdateAction: every member of the SDK's union.
ACTIONS: dict[str, dict[str, Any]] = {
    "addCertificationComment": _action("addCertificationComment", {"comment": _STRING}, ["comment"]),
    "addPrivateProject": _action("addPrivateProject", {"privateProject": _STRING}, ["privateProject"]),
    "publish": _action("publish", {"certification": _BOOLEAN}, ["certification"]),
    "removePrivateProject": _action("removePrivateProject", {"privateProject": _STRING}, ["privateProject"]),
    "setCreatorCompany": _action("setCreatorCompany", {"creatorCompany": _STRING}, ["creatorCompany"]),
    "setCreatorEmail": _action("setCreatorEmail", {"creatorEmail": _STRING}, ["creatorEmail"]),
    "setCreatorLogo": _action("setCreatorLogo", {"logoUrl": _STRING}, ["logoUrl"]),
    "setCreatorName": _action("setCreatorName", {"creatorName": _STRING}, ["creatorName"]),
    "setCreatorNoOfContributors": _action("setCreatorNoOfContributors", {"creatorNoOfContributors": _INTEGER},
                                          ["creatorNoOfContributors"]),
    "setCreatorSupportUrl": _action("setCreatorSupportUrl", {"creatorSupportUrl": _STRING}, ["creatorSupportUrl"]),
    "setCreatorTitle": _action("setCreatorTitle", {"creatorTitle": _STRING}, ["creatorTitle"]),
    "setDescription": _action("setDescription", {"description": _STRING}, ["description"]),
    "setDocumentationUrl": _action("setDocumentationUrl", {"documentationUrl": _STRING}, ["documentationUrl"]),
    "setIntegrationTypes": _action("setIntegrationTypes", {"integrationTypes": _INTEGRATION_TYPES},
                                   ["integrationTypes"]),
    "setName": _action("setName", {"name": _STRING}, ["name"]),
    "setRepository": _action("setRepository", {"url": _STRING, "tag": _STRING}, ["tag"]),
    "setRepositoryCredentials": _action("setRepositoryCredentials", {
        "https": _object({"username": _STRING, "token": {**_STRING, "writeOnly": True}}, ["token"]),
        "ssh": _object({"privateKey": {**_STRING, "writeOnly": True}}, ["privateKey"])}, []),
    "setSupportedRegions": _action("setSupportedRegions", {"regions": _REGIONS}, ["regions"]),
    "unlist": _action("unlist", {}, []),
    "setMedia": _action("setMedia", {"media": _MEDIA}, ["media"]),
    "setSupportContact": _action("setSupportContact", {"email": _STRING, "url": _STRING}, []),
    "setDeclarationOfIntent": _action("setDeclarationOfIntent", {"declarationOfIntent": _STRING},
                                      ["declarationOfIntent"]),
    "updatePreviewable": _action("updatePreviewable", {}, []),
}
CONNECTOR_UPDATE = _object({
    "version": _INTEGER,
    "actions": {"type": "array", "items": {"oneOf": [ref(f"action.{name}") for name in ACTIONS]}},
}, ["version", "actions"])


def _paged(item: str) -> dict[str, Any]:
    return _object({"limit": _INTEGER, "offset": _INTEGER, "count": _INTEGER, "total": _INTEGER,
                    "results": {"type": "array", "items": ref(item)}},
                   ["limit", "offset", "count", "total", "results"])


ERROR_OBJECT = _object({"code": _STRING, "message": _STRING}, ["code", "message"], extra=True)
ERROR_RESPONSE = _object({"statusCode": _INTEGER, "message": _STRING,
                          "errors": {"type": "array", "items": ref("ErrorObject")}}, ["statusCode", "message"])

COMPONENTS: dict[str, dict[str, Any]] = {
    f"ct.{name}": schema for name, schema in {
        "Creator": CREATOR, "Repository": REPOSITORY, "RepositoryCredentials": REPOSITORY_CREDENTIALS,
        "StandardConfigurationKey": STANDARD_KEY,
        "SecuredConfigurationKey": SECURED_KEY, "ConnectorConfigurationApplication": APPLICATION,
        "ConnectorGlobalConfiguration": GLOBAL_CONFIGURATION, "ConnectorApiClient": API_CLIENT,
        "ConnectorReportEntry": REPORT_ENTRY, "CertificationInfo": CERTIFICATION_INFO,
        "CertificationInfoComment": COMMENT, "MediaLink": MEDIA_LINK, "SupportContact": SUPPORT_CONTACT,
        "ConnectorStaged": CONNECTOR_STAGED, "Connector": CONNECTOR,
        "ConnectorDraft": CONNECTOR_DRAFT, "ConnectorUpdate": CONNECTOR_UPDATE,
        "ConnectorStagedPagedQueryResponse": _paged("ConnectorStaged"),
        "ConnectorSearchPagedQueryResponse": _paged("Connector"),
        "ErrorObject": ERROR_OBJECT, "ErrorResponse": ERROR_RESPONSE,
        **{f"action.{name}": schema for name, schema in ACTIONS.items()},
    }.items()
}

_MULTI = {"style": "form", "explode": True}
QUERY_PARAMETERS: dict[str, dict[str, Any]] = {
    "limit": {"schema": {"type": "integer", "minimum": 0, "maximum": 500, "default": 20}},
    "offset": {"schema": {"type": "integer", "minimum": 0, "default": 0}},
    "sort": {"schema": _STRINGS, **_MULTI, "description": "\"<field> asc|desc\", repeatable"},
    "isPrivate": {"schema": _BOOLEAN},
    "private": {"schema": _BOOLEAN},
    "integrationTypes": {"schema": _STRINGS, **_MULTI},
    "text": {"schema": {"type": "string", "maxLength": 256}},
    "creator.company": {"schema": {"type": "string", "maxLength": 256}},
    "id": {"schema": {"type": "array", "items": _STRING, "maxItems": 100}, **_MULTI},
    "key": {"schema": {"type": "array", "items": _STRING, "maxItems": 100}, **_MULTI},
    "version": {"schema": {"type": "integer", "minimum": 0}, "description": "expected version; 0 skips the check"},
}
