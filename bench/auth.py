"""An API key for the gateway, when the gateway has API keys (``plugboard keys create``).

Adaptive on purpose: the keys command may not exist yet, and its options are read from its ``--help``.
``create_key`` returns None when there is no keys command (the gateway then needs no key), else the key
(``pbk_...``) printed by the command. Called before the gateway starts, with the gateway's environment
(the key lands in the gateway's database).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.procs import ROOT

KEY_RE = re.compile(r"pbk_[0-9a-f]{12}_[0-9a-f]{64}")
SCOPES = ("view_connectors", "manage_connectors", "view_instances", "manage_instances")


class KeyError_(RuntimeError):
    """The keys command exists but did not give a key."""


def _run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plugboard", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def create_key(env: dict[str, str], project: str, cwd: Path = ROOT) -> str | None:
    """A key for ``project`` with every connector and instance scope; None when there are no keys.
    ``cwd``: the checkout whose code runs the command (``bench.compare`` runs a baseline's)."""
    helped = _run(["keys", "create", "--help"], env, cwd)
    if helped.returncode != 0:
        return None
    text = helped.stdout
    args = ["keys", "create"]
    if "--project" in text:
        args += ["--project", project]
    else:
        args.append(project)
    if "--scopes" in text:
        args += ["--scopes", ",".join(SCOPES)]
    elif "--scope" in text:
        for scope in SCOPES:
            args += ["--scope", scope]
    if "--name" in text:
        args += ["--name", "bench"]
    created = _run(args, env, cwd)
    found = KEY_RE.search(created.stdout + created.stderr)
    if created.returncode != 0 or not found:
        raise KeyError_(f"`plugboard {' '.join(args)}` gave no key (status {created.returncode}): "
                        f"{(created.stderr or created.stdout).strip()[:300]}")
    return found.group(0)
