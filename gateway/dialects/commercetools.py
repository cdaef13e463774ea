"""commercetools Connect's JSON (seed 002) on the catalog routes commercetools' SDK has.

Routes: ``POST|GET /connectors/drafts``, ``GET|POST /connectors/drafts/{id}`` and ``.../key={key}``,
``DELETE /connectors/drafts/{id}`` and ``.../key={key}``, ``GET /connectors/{id}``, ``GET /connectors/key={key}`` and
``GET /connectors/search``. The models are those of ``@commercetools-connect/sdk``
(``dist/generated/models/connector.d.ts``, ``common.d.ts``, ``error.d.ts``), written out in
``gateway.dialects.commercetools_models``:

- enums as commercetools spells them (status ``Draft``/``Processing``/..., isPreviewable ``none``/
  ``pending``/``true``/``false``, report entry type ``Information``/``Warning``/``Error``); integers as
  JSON numbers; timestamps ``2023-08-08T12:20:31.143Z``; a report never made is ``null``; an absent
  optional value is left out, never an empty string;
- a published connector is the flat ``Connector`` (its latest version's fields, ``version`` = that
  version's number, ``configurations``/``globalConfiguration``/``apiClient`` from its specification);
- update actions as the SDK sends them (``{"action": "setCreatorLogo", "logoUrl": ...}``); a create
  body may be a whole ConnectorStaged (seed 002's example): its read-only fields are ignored;
- errors ``{"statusCode", "message", "errors": [{"code", "message", ...}]}`` with commercetools'
  codes (``ErrorResponse`` of error.d.ts; ``invalid_token`` 401 and ``insufficient_scope`` 403 for
  authentication and authorization).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from multidict import MultiDictProxy
from yarl import URL

from gateway.dialects import commercetools_models as models
from gateway.auth import credential_from
from gateway.http_rules import HttpRoute
from gateway.json_mapping import HTTP_STATUS, normalize, set_from_strings
from gateway.policy import MethodRule
from plugboard.catalog.v1 import connector_pb2, connector_staged_pb2 as spb, specification_pb2
from plugboard.errors import InvalidArgument
from plugboard.rpc.status import parts_of

PREFIX = "/connectors"
_SERVICE = "plugboard.catalog.v1.CatalogService"
# Reasons the dialect itself raises for what commercetools reports with its own codes.
INVALID_JSON = "INVALID_JSON_INPUT"
INVALID_QUERY = "INVALID_QUERY_PARAM"

STATUS = {spb.CONNECTOR_STATUS_DRAFT: "Draft", spb.CONNECTOR_STATUS_PROCESSING: "Processing",
          spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION: "ReadyForCertification",
          spb.CONNECTOR_STATUS_IN_CERTIFICATION: "InCertification",
          spb.CONNECTOR_STATUS_PUBLISHED: "Published", spb.CONNECTOR_STATUS_FAILED: "Failed"}
IS_PREVIEWABLE = {spb.IS_PREVIEWABLE_NONE: "none", spb.IS_PREVIEWABLE_PENDING: "pending",
                  spb.IS_PREVIEWABLE_TRUE: "true", spb.IS_PREVIEWABLE_FALSE: "false"}
CREDENTIALS_TYPE = {spb.REPOSITORY_CREDENTIALS_TYPE_HTTPS_TOKEN: "httpsToken",
                    spb.REPOSITORY_CREDENTIALS_TYPE_SSH_KEY: "sshKey"}
MEDIA_TYPE = {spb.MEDIA_TYPE_SCREENSHOT: "screenshot", spb.MEDIA_TYPE_DEMO_VIDEO: "demoVideo"}
ENTRY_TYPE = {spb.CONNECTOR_REPORT_ENTRY_TYPE_INFORMATION: "Information",
              spb.CONNECTOR_REPORT_ENTRY_TYPE_WARNING: "Warning",
              spb.CONNECTOR_REPORT_ENTRY_TYPE_ERROR: "Error"}

# ConnectorStaged fields that are not ConnectorDraft fields: read-only, ignored in a create body.
READ_ONLY = frozenset(models.CONNECTOR_STAGED["properties"]) - frozenset(models.CONNECTOR_DRAFT["properties"])
# Action field names that differ from the proto's JSON names: action -> {commercetools: proto}.
ACTION_FIELDS = {"setCreatorLogo": {"logoUrl": "creatorLogoUrl"}}
# Plugboard reasons of a refused state change -> commercetools codes (error.d.ts); others: InvalidOperation.
PRECONDITION_CODES = {
    "CONNECTOR_STAGED_NOT_PRIVATE": "ConnectorStagedNotPrivate",
    "CONNECTOR_STAGED_PREVIEW_REQUEST_UNDER_PROCESS": "ConnectorStagedPreviewRequestUnderProcess",
    "CONNECTOR_STAGED_IN_CERTIFICATION": "ConnectorStagedInCertification",
    "CONNECTOR_ALREADY_CERTIFIED": "ConnectorAlreadyCertified",
    "CONNECTOR_STAGED_NOT_PREVIEWABLE": "ConnectorStagedNotPreviewable",
}


# --- the routes -------------------------------------------------------------------------------------

# Method -> (success status, query parameter -> request field, response printer).
ROUTES: dict[str, tuple[int, Mapping[str, str], str]] = {
    "CreateConnectorStaged": (201, {}, "ConnectorStaged"),
    "GetConnectorStaged": (200, {}, "ConnectorStaged"),
    "GetConnectorStagedByKey": (200, {}, "ConnectorStaged"),
    "QueryConnectorStaged": (200, {"limit": "limit", "offset": "offset", "sort": "sort",
                                   "isPrivate": "is_private", "integrationTypes": "integration_types"},
                             "ConnectorStagedPagedQueryResponse"),
    "UpdateConnectorStaged": (201, {}, "ConnectorStaged"),
    "UpdateConnectorStagedByKey": (201, {}, "ConnectorStaged"),
    "DeleteConnectorStaged": (200, {"version": "version"}, "ConnectorStaged"),
    "DeleteConnectorStagedByKey": (200, {"version": "version"}, "ConnectorStaged"),
    "GetConnector": (200, {}, "Connector"),
    "GetConnectorByKey": (200, {}, "Connector"),
    "ListConnectors": (200, {"text": "text", "limit": "limit", "offset": "offset", "sort": "sort",
                             "private": "private", "creator.company": "creator_company", "id": "ids",
                             "key": "keys", "integrationTypes": "integration_types"},
                       "ConnectorSearchPagedQueryResponse"),
}


def speaks(route: HttpRoute) -> bool:
    """True for the routes of this dialect."""
    return route.method.containing_service.full_name == _SERVICE and route.method.name in ROUTES


# --- responses --------------------------------------------------------------------------------------


def timestamp(value: Any) -> str:
    """``2023-08-08T12:20:31.143Z`` (UTC, milliseconds), as seed 002's examples."""
    moment = value.ToDatetime()
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _set(out: dict[str, Any], name: str, value: Any) -> None:
    if value:
        out[name] = value


def creator(m: spb.Creator) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (("name", m.name), ("title", m.title), ("email", m.email), ("company", m.company),
                        ("logoUrl", m.logo_url), ("noOfContributors", m.no_of_contributors),
                        ("supportUrl", m.support_url)):
        _set(out, name, value)
    return out


def standard_key(m: specification_pb2.StandardConfigurationKey) -> dict[str, Any]:
    out = {"key": m.key, "description": m.description}
    _set(out, "default", m.default)
    out["required"] = m.required
    return out


def secured_key(m: specification_pb2.SecuredConfigurationKey) -> dict[str, Any]:
    return {"key": m.key, "description": m.description, "required": m.required}


def application(m: specification_pb2.ConnectorConfigurationApplication) -> dict[str, Any]:
    return {"applicationName": m.application_name, "applicationType": m.application_type,
            "standardConfiguration": [standard_key(k) for k in m.standard_configuration],
            "securedConfiguration": [secured_key(k) for k in m.secured_configuration]}


def _global(out: dict[str, Any], m: specification_pb2.ConnectorGlobalConfiguration) -> None:
    if m.standard_configuration or m.secured_configuration:
        out["globalConfiguration"] = {
            "standardConfiguration": [standard_key(k) for k in m.standard_configuration],
            "securedConfiguration": [secured_key(k) for k in m.secured_configuration]}


def _api_client(out: dict[str, Any], m: specification_pb2.ConnectorApiClient) -> None:
    if m.scopes:
        out["apiClient"] = {"scopes": list(m.scopes)}


def report(m: spb.ConnectorStaged, field: str) -> dict[str, Any] | None:
    if not m.HasField(field):
        return None
    entries = []
    for entry in getattr(m, field).entries:
        out: dict[str, Any] = {"type": ENTRY_TYPE.get(entry.type, "Information"), "title": entry.title}
        _set(out, "message", entry.message)
        out["createdAt"] = timestamp(entry.create_time)
        _set(out, "application", entry.application)
        entries.append(out)
    return {"entries": entries}


def connector_staged(m: spb.ConnectorStaged) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.id, "version": m.version, "key": m.key, "name": m.name,
                           "description": m.description, "integrationTypes": list(m.integration_types),
                           "creator": creator(m.creator),
                           "repository": {"url": m.repository.url, "tag": m.repository.tag},
                           "configurations": [application(a) for a in m.configurations]}
    _global(out, m.global_configuration)
    _api_client(out, m.api_client)
    out.update({"private": m.private, "privateProjects": list(m.private_projects),
                "supportedRegions": list(m.supported_regions)})
    if m.certification_info.comments:
        out["certificationInfo"] = {"comments": [_comment(c) for c in m.certification_info.comments]}
    out.update({"status": STATUS.get(m.status, "Draft"), "publishingReport": report(m, "publishing_report"),
                "alreadyListed": m.already_listed, "hasChanges": m.has_changes,
                "isPreviewable": IS_PREVIEWABLE.get(m.is_previewable, "none"),
                "previewableReport": report(m, "previewable_report")})
    _set(out, "documentationUrl", m.documentation_url)
    out["certified"] = m.certified  # seed 002's query example shows it on a draft
    # seed 000's submission: screenshots and demo videos, the support contact, the declaration of intent
    _set(out, "media", [{"type": MEDIA_TYPE.get(link.type, "screenshot"), "url": link.url,
                         **({"title": link.title} if link.title else {})} for link in m.media])
    if m.HasField("support_contact"):
        contact: dict[str, Any] = {}
        _set(contact, "email", m.support_contact.email)
        _set(contact, "url", m.support_contact.url)
        out["supportContact"] = contact
    _set(out, "declarationOfIntent", m.declaration_of_intent)
    # No previewNumber here: commercetools' ConnectorStaged has no such field (its SDK checks every field);
    # the native dialect's draft carries it.
    if m.HasField("repository_credentials"):  # their type and fingerprint; the values are write-only
        out["repositoryCredentials"] = {
            "type": CREDENTIALS_TYPE.get(m.repository_credentials.type, "httpsToken"),
            "fingerprint": m.repository_credentials.fingerprint}
    return out


def _comment(c: spb.CertificationInfoComment) -> dict[str, Any]:
    out = {"userId": c.user_id, "datetime": timestamp(c.datetime), "comment": c.comment}
    if c.HasField("meeting_time"):
        out["meetingTime"] = timestamp(c.meeting_time)
    return out


def connector(m: connector_pb2.Connector) -> dict[str, Any]:
    latest = m.latest
    spec = latest.specification
    out: dict[str, Any] = {"id": m.id, "key": m.key, "version": latest.number, "name": latest.name}
    _set(out, "description", latest.description)
    out.update({"integrationTypes": list(latest.integration_types), "creator": creator(latest.creator),
                "repository": {"url": latest.repository.url, "tag": latest.repository.tag},
                "configurations": [application(a) for a in spec.applications]})
    _api_client(out, spec.api_client)
    out["private"] = m.private
    _global(out, spec.global_configuration)
    out.update({"supportedRegions": list(latest.supported_regions), "certified": m.certified})
    _set(out, "documentationUrl", latest.documentation_url)
    return out


def _paged(item: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    def print_page(m: Any) -> dict[str, Any]:
        return {"limit": m.limit, "offset": m.offset, "count": m.count, "total": m.total,
                "results": [item(r) for r in m.results]}
    return print_page


PRINTERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "ConnectorStaged": connector_staged,
    "Connector": connector,
    "ConnectorStagedPagedQueryResponse": _paged(connector_staged),
    "ConnectorSearchPagedQueryResponse": _paged(connector),
}


# The facade refuses a body nested too deep before it is parsed (gateway.json_mapping.check_depth).
JSON_TOO_DEEP = "JSON_TOO_DEEP"

# --- requests ---------------------------------------------------------------------------------------


def invalid_json(detail: str) -> InvalidArgument:
    return InvalidArgument.single("body", detail, reason=INVALID_JSON)


def _object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError as exc:
        raise invalid_json(f"the body is not JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise invalid_json("the body must be a JSON object")
    return data


def _parse(data: dict[str, Any], message: Message) -> None:
    data = normalize(data, message.DESCRIPTOR)  # enum values in the seeds' spellings ("screenshot")
    try:
        json_format.ParseDict(data, message)
    except json_format.ParseError as exc:
        text = str(exc)
        raise invalid_json(text if len(text) < 300 else text[:297] + "...") from None
    except (TypeError, AttributeError, ValueError):
        raise invalid_json(f"does not match {message.DESCRIPTOR.name}") from None


def _require(data: Mapping[str, Any], where: str, *names: str) -> None:
    for name in names:
        value = data.get(name)
        if value is None or value == "":
            raise invalid_json(f"{where}{name}: Missing required value")


def _known(data: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> None:
    unknown = sorted(set(data) - set(schema["properties"]))
    if unknown:
        raise invalid_json(f"{where}{unknown[0]}: Unknown field")


def draft_request(body: str, message: Message) -> None:
    """A ConnectorDraft (or a whole ConnectorStaged) into ``CreateConnectorStagedRequest.draft``."""
    data = {k: v for k, v in _object(body).items() if k not in READ_ONLY}
    _known(data, models.CONNECTOR_DRAFT, "")
    _require(data, "", "name", "creator", "repository")
    for name, schema in (("creator", models.CREATOR), ("repository", models.REPOSITORY)):
        if not isinstance(data[name], dict):
            raise invalid_json(f"{name}: must be an object")
        _known(data[name], schema, f"{name}.")
    _require(data["creator"], "creator.", "email")
    _require(data["repository"], "repository.", "url", "tag")
    _parse(data, message.draft)  # type: ignore[attr-defined]


def update_request(body: str, message: Message) -> None:
    """A ConnectorUpdate ``{"version", "actions": [{"action": ...}]}`` into an update request."""
    data = _object(body)
    _known(data, models.CONNECTOR_UPDATE, "")
    _require(data, "", "version", "actions")
    if not isinstance(data["version"], int) or isinstance(data["version"], bool):
        raise invalid_json("version: must be an integer")
    if not isinstance(data["actions"], list):
        raise invalid_json("actions: must be an array")
    actions = []
    choices = {f.json_name: f for f in message.DESCRIPTOR.fields_by_name["actions"].message_type.fields}
    for index, action in enumerate(data["actions"]):
        where = f"actions[{index}]"
        if not isinstance(action, dict) or not isinstance(action.get("action"), str):
            raise invalid_json(f"{where}.action: Missing required value")
        name = action["action"]
        schema = models.ACTIONS.get(name)
        if schema is None or name not in choices:
            raise invalid_json(f"{where}.action: Unknown value {name!r}; known: {', '.join(sorted(models.ACTIONS))}")
        fields = {k: v for k, v in action.items() if k != "action"}
        _known(fields, schema, f"{where}.")
        _require(fields, f"{where}.", *[r for r in schema.get("required", []) if r != "action"])
        renames = ACTION_FIELDS.get(name, {})
        actions.append({name: {renames.get(k, k): v for k, v in fields.items()}})
    _parse({"version": data["version"], "actions": actions}, message)


def _query_fields(message: Message, query: MultiDictProxy[str], names: Mapping[str, str]) -> None:
    for name in set(query.keys()):
        field = names.get(name)
        if field is None:
            known = ", ".join(names) or "none"
            raise InvalidArgument.single(name, f"is not a query parameter of this endpoint (known: {known})",
                                         reason=INVALID_QUERY)
        try:
            set_from_strings(message, field, query.getall(name))
        except InvalidArgument as err:
            description = err.violations[0].description if err.violations else str(err)
            raise InvalidArgument.single(name, description, reason=INVALID_QUERY) from None


# --- errors -----------------------------------------------------------------------------------------


def _camel(path: str) -> str:
    path = re.sub(r"^(draft|body)\.", "", path)
    path = re.sub(r"(actions\[\d+\])\.[a-z_]+\.", r"\1.", path)  # the oneof's field: not in the JSON
    path = path.replace("creator_logo_url", "logoUrl")
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


def _int(value: str) -> int | str:
    return int(value) if value.lstrip("-").isdigit() else value


def error_body(status: status_pb2.Status) -> tuple[int, dict[str, Any]]:
    """commercetools' ``ErrorResponse`` of a ``google.rpc.Status``."""
    code, info, bad = parts_of(status)
    reason, meta, message = info.reason, info.metadata, status.message
    http = HTTP_STATUS.get(code, 500)
    errors: list[dict[str, Any]]
    if code == grpc.StatusCode.UNAUTHENTICATED:
        errors = [{"code": "invalid_token", "message": message}]
    elif code == grpc.StatusCode.PERMISSION_DENIED:
        errors = [{"code": "insufficient_scope", "message": message}]
    elif reason == "CONCURRENT_MODIFICATION" and "current_version" in meta:
        http = 409
        errors = [{"code": "ConcurrentModification", "message": message,
                   "expectedVersion": _int(meta.get("expected_version", "0")),
                   "currentVersion": _int(meta["current_version"])}]
    elif code == grpc.StatusCode.ALREADY_EXISTS:
        http = 400
        errors = [{"code": "DuplicateField", "message": message, "field": _camel(meta.get("field", "")),
                   "duplicateValue": meta.get("value", "")}]
    elif code == grpc.StatusCode.NOT_FOUND:
        errors = [{"code": "ResourceNotFound", "message": message}]
    elif reason in (INVALID_JSON, JSON_TOO_DEEP, INVALID_QUERY):
        detail = "; ".join(v.description for v in bad.field_violations) or message
        if reason in (INVALID_JSON, JSON_TOO_DEEP):
            message = "Request body does not contain valid JSON."
            errors = [{"code": "InvalidJsonInput", "message": message, "detailedErrorMessage": detail}]
        else:
            name = bad.field_violations[0].field if bad.field_violations else ""
            message = f"Request parameter '{name}' is invalid."
            errors = [{"code": "InvalidQueryParam", "message": message,
                       "detailedErrorMessage": f"{name}: {detail}"}]
    elif code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE):
        http = 400
        errors = [{"code": "InvalidInput", "message": f"{_camel(v.field)}: {v.description}",
                   "field": _camel(v.field)} for v in bad.field_violations] \
            or [{"code": "InvalidInput", "message": message}]
        message = errors[0]["message"] if len(errors) == 1 else message
    elif code == grpc.StatusCode.FAILED_PRECONDITION:
        http = 400
        errors = [{"code": PRECONDITION_CODES.get(reason, "InvalidOperation"), "message": message}]
    elif code == grpc.StatusCode.UNIMPLEMENTED:
        errors = [{"code": "InvalidOperation", "message": message}]
    else:  # aborted without versions, exhausted quotas, deadlines, unavailable or internal errors
        errors = [{"code": "General", "message": message}]
    return http, {"statusCode": http, "message": message, "errors": errors}


# --- the dialect ------------------------------------------------------------------------------------


class CommercetoolsDialect:
    """commercetools Connect's JSON."""

    name = "commercetools"

    def credential(self, headers: Mapping[str, str]) -> str | None:
        return credential_from(headers.items())

    def request(self, route: HttpRoute, rule: MethodRule, variables: Mapping[str, str],
                query: MultiDictProxy[str], body: str, headers: Mapping[str, str]) -> Message:
        message = rule.request_class()
        name = route.method.name
        if name == "CreateConnectorStaged":
            draft_request(body, message)
        elif route.body:
            update_request(body, message)
        _query_fields(message, query, ROUTES[name][1])
        for field, value in variables.items():
            set_from_strings(message, field, [value])
        return message

    def response(self, route: HttpRoute, message: Message, url: URL) -> tuple[int, Any]:
        status, _, printer = ROUTES[route.method.name]
        return status, PRINTERS[printer](message)

    def error(self, status: status_pb2.Status) -> tuple[int, Any]:
        return error_body(status)

    def operation(self, route: HttpRoute, rule: MethodRule, schemas: Any) -> dict[str, Any]:
        status, query, printer = ROUTES[route.method.name]
        schemas.components.update(models.COMPONENTS)
        parameters = [{"name": name, "in": "query", "required": False,
                       **models.QUERY_PARAMETERS[name]} for name in query]
        pieces: dict[str, Any] = {
            "parameters": parameters,
            "responses": {
                str(status): {"description": f"a {printer}",
                              "content": {"application/json": {"schema": models.ref(printer)}}},
                "default": {"description": "an error (commercetools' ErrorResponse)",
                            "content": {"application/json": {"schema": models.ref("ErrorResponse")}}},
            },
        }
        if route.body:
            body = "ConnectorDraft" if route.method.name == "CreateConnectorStaged" else "ConnectorUpdate"
            pieces["requestBody"] = {"required": True,
                                     "content": {"application/json": {"schema": models.ref(body)}}}
        return pieces


DIALECT = CommercetoolsDialect()
