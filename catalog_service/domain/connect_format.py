"""commercetools' connect.yaml format, rule by rule: ``check(document)`` -> (issues, applications, inheritAs).

A transcription of the official schema (npm ``@commercetools-connect/specification`` 0.0.16,
``dist/schemas/specification-v1.schema.js``, a zod schema) with the same meaning and the same wording:
every object is strict (an unknown property is ``Unrecognized key(s) in object: 'x'``), a missing property is
``Required``, a wrong type is ``Expected string, received number``, and so on. An issue is a path (the
official ``deployAs.0.configuration`` form; empty for the whole file) and a message.

As in zod, a value of the wrong type or a missing property stops the checks that need it (the rules that
look across the whole file run only when every application could be read), while failed string, number
and array checks do not. A file is valid exactly when there is no issue.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from .model import Application, HealthCheck, RetryPolicy, SecuredKey, StandardKey

Path = tuple[str, ...]

APPLICATION_TYPES = ("service", "event", "job", "assets", "merchant-center-custom-application", "mc-app",
                     "merchant-center-custom-view", "unknown")
CUSTOM_APPLICATION_TYPES = ("merchant-center-custom-application", "mc-app")
CUSTOM_VIEW_TYPE = "merchant-center-custom-view"
MERCHANT_CENTER_TYPES = (*CUSTOM_APPLICATION_TYPES, CUSTOM_VIEW_TYPE)
RETRY_STRATEGIES = ("exponential-backoff", "immediate")

CRON = re.compile(r"(@(annually|yearly|monthly|weekly|daily|hourly|reboot))|(@every (\d+(ns|us|µs|ms|s|m|h))+)|"
                  r"((((\d+,)+\d+|((\d+|\*)(\/|-)\d+)|\d+|\*) ?){5,7})", re.ASCII)
CRON_MESSAGE = ("Please provide a valid cron schedule string following the specified format. For example, for "
                "daily, you can use '@daily' or the cron expression '0 0 * * *'.")
ENDPOINT = re.compile(r"[a-zA-Z0-9_\-/]+")  # the official ^(?!$)([a-zA-Z0-9_\-/]{0,256})+$
NAME = re.compile(r"[a-zA-Z0-9_-]{2,256}")
KEY = re.compile(r"[a-zA-Z0-9_]{2,256}")
RESERVED = re.compile(r"[pP][oO][rR][tT]|[kK]_[sS][eE][rR][vV][iI][cC][eE]|[kK]_[rR][eE][vV][iI][sS][iI][oO][nN]|"
                      r"[kK]_[cC][oO][nN][fF][iI][gG][uU][rR][aA][tT][iI][oO][nN]")
# JavaScript's String.prototype.trim() removes these (Python's str.strip() differs on a few).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000\ufeff"


class _Abort(Exception):
    """A value could not be read at all (zod's aborted status)."""


def js_trim(text: str) -> str:
    return text.strip(_JS_SPACE)


def type_name(value: Any) -> str:
    """zod's name for the type of a parsed YAML value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "nan" if isinstance(value, float) and math.isnan(value) else "number"
    if isinstance(value, list):
        return "array"
    return "object"


@dataclass
class Issues:
    items: list[tuple[Path, str]]

    def add(self, path: Path, message: str) -> None:
        self.items.append((path, message))


Rule = Callable[[Any, Path, Issues], Any]


def _expect(kind: str, value: Any, path: Path, issues: Issues) -> None:
    if type_name(value) != kind:
        issues.add(path, f"Expected {kind}, received {type_name(value)}")
        raise _Abort


def _string(value: Any, path: Path, issues: Issues) -> str:
    _expect("string", value, path, issues)
    return value


def _non_empty(value: Any, path: Path, issues: Issues) -> str:
    text = _string(value, path, issues)
    if len(text) < 1:
        issues.add(path, "String must contain at least 1 character(s)")
    return text


def _not_blank(what: str) -> Rule:
    def rule(value: Any, path: Path, issues: Issues) -> str:
        text = _non_empty(value, path, issues)
        if text != "" and not js_trim(text):
            issues.add(path, f"{what} cannot be only whitespace")
        return text
    return rule


def _boolean(value: Any, path: Path, issues: Issues) -> bool:
    _expect("boolean", value, path, issues)
    return value


def _integer(low: int, high: int) -> Rule:
    def rule(value: Any, path: Path, issues: Issues) -> int:
        _expect("number", value, path, issues)
        if not (math.isfinite(value) and value == int(value)):
            issues.add(path, "Expected integer, received float")
        if value < low:
            issues.add(path, f"Number must be greater than or equal to {low}")
        if value > high:
            issues.add(path, f"Number must be less than or equal to {high}")
        return int(value) if math.isfinite(value) else 0
    return rule


def _name(value: Any, path: Path, issues: Issues) -> str:
    text = _string(value, path, issues)
    if not NAME.fullmatch(text):
        issues.add(path, "Invalid")
    return text


def _endpoint(value: Any, path: Path, issues: Issues) -> str:
    text = _string(value, path, issues)
    if not ENDPOINT.fullmatch(text):
        issues.add(path, "Invalid")
    if "//" in text:
        issues.add(path, "Double slashes are not allowed")
    return text


def _cron(value: Any, path: Path, issues: Issues) -> str:
    text = _string(value, path, issues)
    if not CRON.search(text):
        issues.add(path, CRON_MESSAGE)
    return text


def _key(secured: bool) -> Rule:
    def rule(value: Any, path: Path, issues: Issues) -> str:
        text = _string(value, path, issues)
        if RESERVED.fullmatch(text):
            issues.add(path, f'Key "{text}" is a reserved word')
        if not KEY.fullmatch(text):
            # The official wording, including its inversion for secured keys.
            named = bool(js_trim(text)) != secured
            issues.add(path, f'Invalid configuration key: "{text}"' if named else "Invalid configuration key")
        return text
    return rule


def _array(item: Rule, minimum: int = 0) -> Rule:
    def rule(value: Any, path: Path, issues: Issues) -> list[Any]:
        _expect("array", value, path, issues)
        if len(value) < minimum:
            issues.add(path, f"Array must contain at least {minimum} element(s)")
        parsed, aborted = [], False
        for index, element in enumerate(value):
            try:
                parsed.append(item(element, (*path, str(index)), issues))
            except _Abort:
                aborted = True
        if aborted:
            raise _Abort
        return parsed
    return rule


def _strict(shape: dict[str, tuple[Rule, bool]]) -> Rule:
    """A zod strictObject: ``shape`` maps each property to (rule, optional)."""
    def rule(value: Any, path: Path, issues: Issues) -> dict[str, Any]:
        _expect("object", value, path, issues)
        parsed: dict[str, Any] = {}
        aborted = False
        for name, (check, optional) in shape.items():
            if name not in value:
                if not optional:
                    issues.add((*path, name), "Required")
                    aborted = True
                continue
            try:
                parsed[name] = check(value[name], (*path, name), issues)
            except _Abort:
                aborted = True
        unknown = [name for name in value if name not in shape]
        if unknown:
            issues.add(path, "Unrecognized key(s) in object: " + ", ".join(f"'{name}'" for name in unknown))
        if aborted:
            raise _Abort
        return parsed
    return rule


def _union(discriminator: str, options: dict[str, Rule]) -> Rule:
    """A zod discriminatedUnion on ``discriminator``."""
    expected = " | ".join(f"'{option}'" for option in options)

    def rule(value: Any, path: Path, issues: Issues) -> dict[str, Any]:
        _expect("object", value, path, issues)
        option = value.get(discriminator)
        if not isinstance(option, str) or option not in options:
            issues.add((*path, discriminator), f"Invalid discriminator value. Expected {expected}")
            raise _Abort
        return options[option](value, path, issues)
    return rule


def _entry_keys(configuration: dict[str, Any]) -> list[str]:
    return [entry["key"] for entry in (*configuration.get("standardConfiguration", ()),
                                       *configuration.get("securedConfiguration", ()))]


def _configuration(value: Any, path: Path, issues: Issues) -> dict[str, Any]:
    parsed = _CONFIGURATION_OBJECT(value, path, issues)
    keys = _entry_keys(parsed)
    repeated = list(dict.fromkeys(key for index, key in enumerate(keys) if keys.index(key) != index))
    if repeated:
        issues.add(path, "Duplicate key found " + ", ".join(repeated))
    return parsed


_CONFIGURATION_OBJECT = _strict({
    "standardConfiguration": (_array(_strict({
        "key": (_key(secured=False), False),
        "description": (_not_blank("Description"), False),
        "required": (_boolean, True),
        "default": (_not_blank("Default value"), True),
    })), True),
    "securedConfiguration": (_array(_strict({
        "key": (_key(secured=True), False),
        "description": (_not_blank("Description"), False),
        "required": (_boolean, True),
    })), True),
})

_SCRIPTS = _strict({
    "postDeploy": (_not_blank("postDeploy value"), True),
    "preUndeploy": (_not_blank("preUndeploy value"), True),
})

_HEALTH_CHECK = _strict({
    "path": (_endpoint, False),
    "intervalSeconds": (_integer(1, 20), True),
    "timeoutSeconds": (_integer(1, 20), True),
    "unhealthyThreshold": (_integer(1, 20), True),
})

_EXPONENTIAL_BACKOFF = _strict({
    "strategy": (_string, False),
    "minBackoffSeconds": (_integer(1, 600), False),
    "maxBackoffSeconds": (_integer(1, 600), False),
    "maxAttempts": (_integer(5, 100), True),
})

_RETRY_OPTIONS = _union("strategy", {
    "exponential-backoff": _EXPONENTIAL_BACKOFF,
    "immediate": _strict({"strategy": (_string, False)}),
})


def _retry_policy(value: Any, path: Path, issues: Issues) -> dict[str, Any]:
    parsed = _RETRY_OPTIONS(value, path, issues)
    if parsed["strategy"] == "exponential-backoff" and parsed["minBackoffSeconds"] > parsed["maxBackoffSeconds"]:
        issues.add((*path, "minBackoffSeconds"), "minBackoffSeconds must be less than or equal to maxBackoffSeconds")
    return parsed


def _application_shape(*, endpoint: bool, **extra: tuple[Rule, bool]) -> Rule:
    shape: dict[str, tuple[Rule, bool]] = {"name": (_name, False)}
    if endpoint:
        shape["endpoint"] = (_endpoint, False)
    shape.update({"configuration": (_configuration, True), "scripts": (_SCRIPTS, True),
                  "applicationType": (_string, False)})
    shape.update(extra)
    return _strict(shape)


_APPLICATION = _union("applicationType", {
    "service": _application_shape(endpoint=True, healthCheck=(_HEALTH_CHECK, True)),
    "event": _application_shape(endpoint=True, healthCheck=(_HEALTH_CHECK, True),
                                retryPolicy=(_retry_policy, True)),
    "job": _application_shape(endpoint=True, properties=(_strict({"schedule": (_cron, False)}), False)),
    "assets": _strict({"name": (_name, False), "applicationType": (_string, False)}),
    "merchant-center-custom-application": _application_shape(endpoint=False),
    "mc-app": _application_shape(endpoint=False),
    "merchant-center-custom-view": _application_shape(endpoint=False),
    "unknown": _application_shape(endpoint=True),
})


def _standard_entry(application: dict[str, Any], key: str) -> dict[str, Any] | None:
    entries = application.get("configuration", {}).get("standardConfiguration", ())
    return next((entry for entry in entries if entry["key"] == key), None)


def _application(value: Any, path: Path, issues: Issues) -> dict[str, Any]:
    parsed = _APPLICATION(value, path, issues)
    kind = parsed["applicationType"]
    required = (("CUSTOM_APPLICATION_ID", "ENTRY_POINT_URI_PATH") if kind in CUSTOM_APPLICATION_TYPES
                else ("CUSTOM_VIEW_ID",) if kind == CUSTOM_VIEW_TYPE else ())
    owner = "Mc app" if kind in CUSTOM_APPLICATION_TYPES else "Merchant center custom view"
    for key in required:
        entry = _standard_entry(parsed, key)
        if not entry or not entry.get("required"):
            issues.add(path, f"{owner} must have {key}")
    return parsed


_INHERIT_AS = _strict({
    "configuration": (_configuration, True),
    "apiClient": (_strict({"scopes": (_array(_non_empty, minimum=1), False)}), True),
})

_SPECIFICATION = _strict({"inheritAs": (_INHERIT_AS, True), "deployAs": (_array(_application), False)})


def _whole_file(spec: dict[str, Any], issues: Issues) -> None:
    """The rules across applications (the official schema's superRefine on the whole file)."""
    applications = spec["deployAs"]
    counts: dict[str, int] = {}
    for app in applications:
        counts[app["name"]] = counts.get(app["name"], 0) + 1
    repeated = [name for name, count in counts.items() if count > 1]
    if repeated:
        issues.add((), "Duplicate application name found: " + ",".join(repeated))

    inherited = spec.get("inheritAs", {}).get("configuration", {})
    global_entries = [*inherited.get("standardConfiguration", ()), *inherited.get("securedConfiguration", ())]
    every_key = [key for app in applications for key in _entry_keys(app.get("configuration", {}))]
    every_key += [entry["key"] for entry in global_entries]
    shared = list(dict.fromkeys(entry["key"] for entry in global_entries if every_key.count(entry["key"]) > 1))
    if shared:
        issues.add((), "Duplicate global key found " + ", ".join(shared))

    cloud_identifier = any(entry["key"] == "CLOUD_IDENTIFIER" and entry.get("required") for entry in global_entries)
    if not cloud_identifier:
        for app in applications:
            if app["applicationType"] not in MERCHANT_CENTER_TYPES:
                continue
            entry = _standard_entry(app, "CLOUD_IDENTIFIER")
            if not entry or not (entry.get("required") or entry.get("default")):
                issues.add((), f"Application {app['name']} is missing CLOUD_IDENTIFIER configuration.")
    for app in applications:
        if app.get("configuration", {}).get("securedConfiguration"):
            if app["applicationType"] in CUSTOM_APPLICATION_TYPES:
                issues.add((), "Secured configuration is not allowed in merchant center custom application.")
            elif app["applicationType"] == CUSTOM_VIEW_TYPE:
                issues.add((), "Secured configuration is not allowed in merchant center custom view.")


@dataclass(frozen=True)
class Checked:
    """The outcome of the official rules: issues, and what a valid file says."""

    issues: tuple[tuple[Path, str], ...]
    applications: tuple[Application, ...] = ()
    global_standard: tuple[StandardKey, ...] = ()
    global_secured: tuple[SecuredKey, ...] = ()
    api_client_scopes: tuple[str, ...] = ()


def check(document: Any) -> Checked:
    """Apply every rule of the official schema to a YAML document's value."""
    issues = Issues([])
    try:
        spec = _SPECIFICATION(document, (), issues)
    except _Abort:
        return Checked(tuple(issues.items))
    _whole_file(spec, issues)
    if issues.items:
        return Checked(tuple(issues.items))
    inherited = spec.get("inheritAs", {})
    configuration = inherited.get("configuration", {})
    return Checked(
        (),
        tuple(_to_application(app) for app in spec["deployAs"]),
        _standard_keys(configuration),
        _secured_keys(configuration),
        tuple(inherited.get("apiClient", {}).get("scopes", ())),
    )


def _standard_keys(configuration: dict[str, Any]) -> tuple[StandardKey, ...]:
    return tuple(StandardKey(entry["key"], entry["description"], entry.get("default", ""),
                             entry.get("required", False)) for entry in configuration.get("standardConfiguration", ()))


def _secured_keys(configuration: dict[str, Any]) -> tuple[SecuredKey, ...]:
    return tuple(SecuredKey(entry["key"], entry["description"], entry.get("required", False))
                 for entry in configuration.get("securedConfiguration", ()))


def _to_application(app: dict[str, Any]) -> Application:
    configuration = app.get("configuration", {})
    scripts = app.get("scripts", {})
    health = app.get("healthCheck")
    retry = app.get("retryPolicy")
    return Application(
        name=app["name"],
        type=app["applicationType"],
        standard=_standard_keys(configuration),
        secured=_secured_keys(configuration),
        endpoint=app.get("endpoint", ""),
        post_deploy=scripts.get("postDeploy", ""),
        pre_undeploy=scripts.get("preUndeploy", ""),
        schedule=app.get("properties", {}).get("schedule", ""),
        health_check=HealthCheck(health["path"], health.get("intervalSeconds", 0), health.get("timeoutSeconds", 0),
                                 health.get("unhealthyThreshold", 0)) if health else None,
        retry_policy=RetryPolicy(retry["strategy"], retry.get("minBackoffSeconds", 0),
                                 retry.get("maxBackoffSeconds", 0), retry.get("maxAttempts", 0)) if retry else None,
    )


def format_path(path: Path) -> str:
    """The official parser's form: ``deployAs.0.endpoint``, or ``file content`` for the whole file."""
    return ".".join(path) if path else "file content"
