"""Random connect.yaml files built from the official schema's fields, good and bad values mixed.

``generated(seed, count)`` returns ``count`` files, always the same for a seed: applications of every
type (and a wrong one), configuration entries with good and bad keys, descriptions, flags and defaults,
scripts, schedules, health checks, retry policies, inheritAs and apiClient. About one in five is valid.
"""

from __future__ import annotations

import random

TYPES = ("service", "event", "job", "assets", "merchant-center-custom-application", "mc-app",
         "merchant-center-custom-view", "unknown", "lambda")
ODD_KEYS = ("PORT", "port", "K_SERVICE", "Kservice", "3DS", "A", "A-B", '"12"', "12", "a b", "x" * 257)
KEYS = ("AB", "CD", "EF", "GH", "CLOUD_IDENTIFIER", "CUSTOM_APPLICATION_ID", "ENTRY_POINT_URI_PATH", "CUSTOM_VIEW_ID")


class _Files:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def pick(self, *choices: str) -> str:
        return self.random.choice(choices)

    def chance(self, p: float) -> bool:
        return self.random.random() < p

    def entry(self, secured: bool) -> str:
        fields = {}
        if self.chance(0.95):
            fields["key"] = self.pick(*ODD_KEYS) if self.chance(0.3) else self.pick(*KEYS)
        if self.chance(0.9):
            fields["description"] = self.pick("desc", "desc", '" "', "''", "5", "null")
        if self.chance(0.5):
            fields["required"] = self.pick("true", "false", "yes", '"true"')
        if self.chance(0.05 if secured else 0.4):
            fields["default"] = self.pick("v", "v", "no", '" "', "5", "''", "gcp")
        if self.chance(0.03):
            fields["requried"] = "true"
        return "{" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}"

    def configuration(self) -> str:
        parts = []
        if self.chance(0.8):
            parts.append("standardConfiguration: [" + ", ".join(
                self.entry(False) for _ in range(self.random.randint(0, 4))) + "]")
        if self.chance(0.5):
            parts.append("securedConfiguration: [" + ", ".join(
                self.entry(True) for _ in range(self.random.randint(0, 3))) + "]")
        return "{" + ", ".join(parts) + "}"

    def application(self, n: int) -> str:
        kind = self.pick(*TYPES)
        fields = {"name": self.pick(f"app-{n}", f"app-{n}", "dup", "a", '"a b"'), "applicationType": kind}
        if (kind in ("service", "event", "job", "unknown") and self.chance(0.9)) or self.chance(0.05):
            fields["endpoint"] = self.pick("/x", "/x", "x/y", "//x", "/a.b", "''", "/")
        if (kind != "assets" and self.chance(0.7)) or self.chance(0.05):
            fields["configuration"] = self.configuration()
        if self.chance(0.2):
            fields["scripts"] = "{" + self.pick("postDeploy: npm i", "preUndeploy: x", "postDeploy: ''",
                                                'postDeploy: " "', "other: x") + "}"
        if (kind == "job" and self.chance(0.9)) or self.chance(0.03):
            fields["properties"] = "{" + self.pick("schedule: '0 0 * * *'", "schedule: '@daily'", "schedule: daily",
                                                   "schedule: '*/5 * * * *'", "") + "}"
        if (kind in ("service", "event") and self.chance(0.3)) or self.chance(0.03):
            parts = [self.pick("path: /h", "path: /h", "path: //h", ""),
                     self.pick("", "intervalSeconds: 5", "intervalSeconds: 0", "intervalSeconds: 21",
                               "timeoutSeconds: 2.5", "unhealthyThreshold: 20")]
            fields["healthCheck"] = "{" + ", ".join(part for part in parts if part) + "}"
        if (kind == "event" and self.chance(0.4)) or self.chance(0.03):
            fields["retryPolicy"] = self.pick(
                "{strategy: immediate}", "{strategy: exponential-backoff, minBackoffSeconds: 5, maxBackoffSeconds: 10}",
                "{strategy: exponential-backoff, minBackoffSeconds: 50, maxBackoffSeconds: 10}",
                "{strategy: exponential-backoff, minBackoffSeconds: 5, maxBackoffSeconds: 10, maxAttempts: 3}",
                "{strategy: other}", "{strategy: immediate, maxAttempts: 5}")
        return "{" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}"

    def file(self) -> str:
        apps = [self.application(n) for n in range(self.random.randint(0, 3))]
        text = "deployAs:\n" + "".join(f"  - {app}\n" for app in apps) if apps else "deployAs: []\n"
        if self.chance(0.3):
            parts = []
            if self.chance(0.7):
                parts.append("configuration: " + self.configuration())
            if self.chance(0.4):
                parts.append("apiClient: {scopes: " + self.pick("[a]", "[]", "['']", "[a, b]") + "}")
            text += "inheritAs: {" + ", ".join(parts) + "}\n"
        return text


def generated(seed: int, count: int) -> list[str]:
    files = _Files(seed)
    return [files.file() for _ in range(count)]
