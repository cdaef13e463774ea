"""Fetching a connector's repository at its tag with git and reading ``connect.yaml`` and ``plugboard.yaml``.

``read_connector_source(repository, settings=..., now=...)`` is what a publishing or preview job runs. It
never raises for a problem of the repository: every check becomes a report entry (Information when it
passed, Warning, Error when it failed), and the specification is returned only when no Error was written.

How the repository is read, and why:
- The URL must be https, ssh (``ssh://`` or ``user@host:path``) or, when the settings enable it, ``file://``;
  its host must be in ``settings.git_allowed_hosts``. git is told the same (``protocol.allow=never`` plus
  the one allowed transport), so redirects to other transports and ``ext::`` helpers are refused by git too.
- ``git ls-remote`` tells an unreachable repository from a missing tag; then one ``git fetch --depth 1`` of
  that tag into a temporary bare repository, and ``git cat-file`` reads ``connect.yaml`` (required) and
  ``plugboard.yaml`` (optional, Plugboard's connection test) from the tagged tree. Nothing is checked out,
  no hook or filter runs, and the user's and system's git configuration is ignored. Every git command
  shares one deadline (reading the files too); no command prompts for credentials. Each git command runs
  in its own session, and on the deadline its whole process group is killed (helpers included).
- The files are read in a separate process (``reader.read_isolated``) within the same deadline, so a
  hostile file costs the catalog neither time on its event loop nor memory.
- A URL carries no credentials (the catalog refuses them, migration 5 removed them from stored URLs), and
  every message shows a URL with any user information removed all the same. A draft's repository
  credentials (``setRepositoryCredentials``) reach git only through its environment and files, never
  its arguments or the URL: an https token as an ``http.extraHeader`` (basic authentication) given in
  ``GIT_CONFIG_*`` variables, with redirects off so the header goes to the named host only; an ssh key
  as a 0600 file in a private temporary directory named by ``GIT_SSH_COMMAND`` (``-i``,
  ``IdentitiesOnly``), removed when the read ends, whatever the outcome. Credentials of the other
  transport are an Error entry, not silently ignored.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from collections.abc import Iterator

from catalog_service.domain.credentials import GitCredentials
from catalog_service.domain.model import EntryType, ReportEntry, Repository, Specification
from catalog_service.domain.specification import CONNECT_YAML, PLUGBOARD_YAML, SpecLimits
from catalog_service.publishing.reader import read_isolated
from plugboard.settings import Settings

MAX_PROBLEM_ENTRIES = 20
_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/\s]+)@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>(?!//)[^\s]+)$")

NOT_REACHABLE = "Git repository not reachable"
URL_NOT_ALLOWED = "Git repository URL not allowed"
TAG_NOT_FOUND = "Git tag not found"
SPEC_NOT_FOUND = "Connector specification file not found"
SPEC_NOT_VALID = "Connector specification file not valid"
CONNECTION_MISPLACED = "Connection test in connect.yaml"
CREDENTIALS_MISMATCH = "Git repository credentials do not match the URL"


@dataclass(frozen=True)
class SourceResult:
    """What reading a repository found: the specification (None after any Error) and the report entries."""

    specification: Specification | None
    entries: tuple[ReportEntry, ...]
    commit: str = ""


@dataclass(frozen=True)
class _Target:
    url: str  # as given to git
    shown: str  # without user information, for messages
    transport: str  # https, ssh or file


class _Refused(Exception):
    """A check failed; carries the Error entry's title and message."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(title)
        self.title = title
        self.message = message


def read_connector_source(
    repository: Repository, *, settings: Settings, now: datetime, timeout_seconds: float = 60.0,
    credentials: GitCredentials | None = None,
) -> SourceResult:
    """Fetch ``repository`` at its tag (with ``credentials`` when given), read and validate connect.yaml;
    blocking (run it in a thread)."""
    entries: list[ReportEntry] = []

    def info(title: str, message: str = "") -> None:
        entries.append(ReportEntry(EntryType.INFORMATION, title, message, now))

    def error(title: str, message: str) -> SourceResult:
        entries.append(ReportEntry(EntryType.ERROR, title, message, now))
        return SourceResult(None, tuple(entries))

    try:
        target = _target(repository.url, settings)
        if credentials is not None and credentials.type != target.transport:
            raise _Refused(CREDENTIALS_MISMATCH, f"{target.shown}: the repository credentials are for "
                                                 f"{credentials.type} URLs, the URL is {target.transport}")
    except _Refused as refused:
        return error(refused.title, refused.message)
    deadline = time.monotonic() + timeout_seconds
    limits = dataclasses.replace(SpecLimits(), max_bytes=settings.spec_max_bytes).with_deadline(deadline)
    try:
        with _git_environment(credentials, settings) as env:
            git = _Git(target, deadline, timeout_seconds, limits.max_bytes, env)
            commit = git.resolve_tag(repository.tag)
            info("Git repository reachable", f"{target.shown} has tag {repository.tag} at commit {commit[:12]}")
            with tempfile.TemporaryDirectory(prefix="plugboard-git-") as scratch:
                repo = git.fetch_tag(scratch, repository.tag)
                text = git.read_file(repo, repository.tag, CONNECT_YAML)
                extra = git.read_file(repo, repository.tag, PLUGBOARD_YAML, optional=True)
    except _Refused as refused:
        return error(refused.title, refused.message)
    info("Connector specification file found", f"{CONNECT_YAML} at tag {repository.tag} ({len(text)} bytes)")
    if extra is not None:
        info("Plugboard file found", f"{PLUGBOARD_YAML} at tag {repository.tag} ({len(extra)} bytes)")

    reading = read_isolated(text, extra, limits=limits, timeout=deadline - time.monotonic())
    for warning in reading.warnings:
        entries.append(ReportEntry(EntryType.WARNING, CONNECTION_MISPLACED, warning, now))
    if reading.specification is None:
        problems = reading.errors
        for problem in problems[:MAX_PROBLEM_ENTRIES]:
            entries.append(ReportEntry(EntryType.ERROR, SPEC_NOT_VALID, problem, now))
        if len(problems) > MAX_PROBLEM_ENTRIES:
            entries.append(ReportEntry(EntryType.ERROR, SPEC_NOT_VALID,
                                       f"{len(problems) - MAX_PROBLEM_ENTRIES} more problems", now))
        return SourceResult(None, tuple(entries), commit)
    specification = reading.specification
    names = ", ".join(app.name for app in specification.applications)
    info("Connector specification file valid",
         f"{len(specification.applications)} application(s): {names}")
    if specification.connection is None:
        entries.append(ReportEntry(
            EntryType.WARNING, "Connection test not configured",
            f"no connection section ({PLUGBOARD_YAML} beside {CONNECT_YAML}): instances of this connector cannot "
            f"test their connection", now))
    return SourceResult(specification, tuple(entries), commit)


def shown_url(url: str) -> str:
    """``url`` without user information (``https://user:token@host/x`` -> ``https://host/x``)."""
    parts = urlsplit(url) if "://" in url else None
    if parts is None:
        scp = _SCP_LIKE.match(url)
        return f"{scp['host']}:{scp['path']}" if scp else url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return parts._replace(netloc=host).geturl()


def _target(url: str, settings: Settings) -> _Target:
    url = url.strip()
    if not url or url.startswith("-") or any(ch.isspace() for ch in url):
        raise _Refused(URL_NOT_ALLOWED, "repository.url must be an https, ssh or file URL without spaces")
    shown = shown_url(url)
    allowed = {host.lower() for host in settings.git_allowed_hosts}
    if "://" not in url:
        scp = _SCP_LIKE.match(url)
        if not scp:
            raise _Refused(URL_NOT_ALLOWED, f"{shown}: not an https, ssh or file URL")
        _require_host(scp["host"], allowed, shown)
        return _Target(url, shown, "ssh")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if not settings.git_allow_file_urls:
            raise _Refused(URL_NOT_ALLOWED, f"{shown}: file URLs are disabled (PLUGBOARD_GIT_ALLOW_FILE_URLS)")
        if parts.netloc not in ("", "localhost"):
            raise _Refused(URL_NOT_ALLOWED, f"{shown}: a file URL names no host")
        return _Target(url, shown, "file")
    if scheme not in ("https", "ssh"):
        raise _Refused(URL_NOT_ALLOWED, f"{shown}: the scheme {scheme!r} is not allowed (https, ssh)")
    _require_host(parts.hostname or "", allowed, shown)
    return _Target(url, shown, scheme)


def _require_host(host: str, allowed: set[str], shown: str) -> None:
    if host.lower() not in allowed:
        hosts = ", ".join(sorted(allowed)) or "none"
        raise _Refused(URL_NOT_ALLOWED, f"{shown}: the host {host!r} is not allowed (allowed: {hosts})")


SSH_COMMAND = "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=10"


@contextlib.contextmanager
def _git_environment(credentials: GitCredentials | None, settings: Settings) -> Iterator[dict[str, str]]:
    """git's whole environment: no prompts, no user or system configuration, and the credentials (https:
    a basic-authentication header in ``GIT_CONFIG_*``; ssh: a 0600 key file, removed on leaving)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_SSH_COMMAND": SSH_COMMAND,
        "LC_ALL": "C",
    }
    if settings.git_ca_file:
        env["GIT_SSL_CAINFO"] = settings.git_ca_file
    if credentials is None:
        yield env
        return
    if credentials.type == "https":
        basic = base64.b64encode(f"{credentials.username}:{credentials.secret}".encode("utf-8")).decode("ascii")
        config = [("http.extraHeader", f"Authorization: Basic {basic}"), ("http.followRedirects", "false")]
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for index, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{index}"] = key
            env[f"GIT_CONFIG_VALUE_{index}"] = value
        yield env
        return
    directory = tempfile.mkdtemp(prefix="plugboard-ssh-")  # 0700
    try:
        key_file = os.path.join(directory, "id")
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(credentials.secret if credentials.secret.endswith("\n") else credentials.secret + "\n")
        env["GIT_SSH_COMMAND"] = f"{SSH_COMMAND} -o IdentitiesOnly=yes -i {shlex.quote(key_file)}"
        yield env
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class _Git:
    """git commands against one remote, sharing one deadline, with no prompts and no user configuration."""

    def __init__(self, target: _Target, deadline: float, timeout_seconds: float, max_bytes: int,
                 env: dict[str, str]) -> None:
        self.target = target
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.timeout_seconds = timeout_seconds
        self.env = env

    def _run(self, args: list[str], *, cwd: str | None = None, what: str) -> subprocess.CompletedProcess[bytes]:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out(what)
        command = ["git", "-c", "protocol.allow=never", "-c", f"protocol.{self.target.transport}.allow=always",
                   "-c", "core.hooksPath=" + os.devnull, *args]
        try:
            # Its own session, so that on the deadline the whole process group goes: git and the helpers it
            # started (git-remote-https, ssh), which would otherwise live on with their connections.
            process = subprocess.Popen(command, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:  # git itself missing: an operator problem, reported as such
            raise _Refused(NOT_REACHABLE, f"{what}: git could not be started ({exc.strerror})") from exc
        try:
            stdout, stderr = process.communicate(timeout=remaining)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            raise self._timed_out(what) from exc
        except BaseException:
            _kill_group(process)
            raise
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def _timed_out(self, what: str) -> _Refused:
        return _Refused(NOT_REACHABLE, f"{self.target.shown}: {what} did not finish within "
                                       f"{self.timeout_seconds:g} s")

    def _why(self, result: subprocess.CompletedProcess[bytes]) -> str:
        """git's own first complaint, with any URL credentials removed."""
        lines = result.stderr.decode("utf-8", "replace").splitlines()
        complaint = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[0] if lines else "")
        complaint = complaint.removeprefix("fatal: ").removeprefix("error: ").strip()
        complaint = re.sub(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]+", lambda m: shown_url(m.group(0)), complaint)
        return complaint[:300] or f"git exited with status {result.returncode}"

    def resolve_tag(self, tag: str) -> str:
        """The commit the tag points at (peeled), or an Error entry: not reachable, or tag not found."""
        ref = f"refs/tags/{tag}"
        checked = self._run(["check-ref-format", ref], what="checking the tag")
        if not tag or tag.startswith("-") or checked.returncode != 0:
            raise _Refused(TAG_NOT_FOUND, f"{tag!r} is not a valid git tag name")
        listed = self._run(["ls-remote", "--tags", "--", self.target.url, ref, f"{ref}^{{}}"],
                           what="listing the repository's tags")
        if listed.returncode != 0:
            raise _Refused(NOT_REACHABLE, f"{self.target.shown}: {self._why(listed)}")
        refs = dict(
            reversed(line.split("\t", 1))
            for line in listed.stdout.decode("ascii", "replace").splitlines()
            if "\t" in line
        )
        commit = refs.get(f"{ref}^{{}}") or refs.get(ref)
        if not commit:
            raise _Refused(TAG_NOT_FOUND, f"{self.target.shown} has no tag {tag!r}")
        return commit

    def fetch_tag(self, scratch: str, tag: str) -> str:
        """A bare repository in ``scratch`` holding the tag, fetched shallowly; Error entries for failures."""
        repo = os.path.join(scratch, "repo.git")
        init = self._run(["init", "--quiet", "--bare", repo], what="preparing a scratch repository")
        if init.returncode != 0:
            raise _Refused(NOT_REACHABLE, f"preparing a scratch repository failed: {self._why(init)}")
        fetched = self._run(["fetch", "--quiet", "--depth", "1", "--no-tags", "--", self.target.url,
                             f"+refs/tags/{tag}:refs/tags/{tag}"], cwd=repo, what="fetching the tag")
        if fetched.returncode != 0:
            raise _Refused(NOT_REACHABLE, f"{self.target.shown}: {self._why(fetched)}")
        return repo

    def read_file(self, repo: str, tag: str, path: str, *, optional: bool = False) -> str | None:
        """``path`` of the tagged tree (None when ``optional`` and absent); Error entries for every failure."""
        spec = f"refs/tags/{tag}^{{commit}}:{path}"
        kind = self._run(["cat-file", "-t", spec], cwd=repo, what=f"reading {path}")
        if kind.returncode != 0 or kind.stdout.strip() != b"blob":
            if optional and kind.returncode != 0:
                return None
            raise _Refused(SPEC_NOT_FOUND, f"{path} is not at the root of tag {tag!r}")
        size = self._run(["cat-file", "-s", spec], cwd=repo, what=f"reading {path}")
        if size.returncode == 0 and int(size.stdout.strip() or 0) > self.max_bytes:
            raise _Refused(SPEC_NOT_VALID, f"{path}: the file is larger than {self.max_bytes // 1024} KiB "
                                           f"(PLUGBOARD_SPEC_MAX_BYTES)")
        blob = self._run(["cat-file", "blob", spec], cwd=repo, what=f"reading {path}")
        if blob.returncode != 0:
            raise _Refused(SPEC_NOT_FOUND, f"{path} could not be read from tag {tag!r}")
        try:
            return blob.stdout.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Refused(SPEC_NOT_VALID, f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and everything in its process group, and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()
