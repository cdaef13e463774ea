"""Real git repositories for publishing tests, and waiting for a draft's job through the watch stream.

The one git-repository helper of the suite. ``make_repo`` commits files into a fresh repository and
tags them; ``connector_files(spec, connection)`` are the files of a connector (``spec`` its connect.yaml,
``connection`` its connection test, written as plugboard.yaml beside it; ``service_spec`` writes a simple
connect.yaml); ``connector_repo(spec, connection=...)`` is a repository with them, made once per test
process and content; ``shared_repo_url()`` is one good connector repository (for tests of other services
that only need *a* published connector). A catalog that reads them needs ``git_allow_file_urls=True``
(``PUBLISHING_SETTINGS``).
``wait_for`` follows ``WatchConnectorStaged`` until a draft satisfies a condition: no polling.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb

# The reviewer projects of test catalogs (certification is theirs alone; none of them creates drafts).
REVIEWER = "reviewer-1"
REVIEWER_PROJECTS = (REVIEWER, "rev-1", "reviewers")
# Settings overrides a catalog needs to publish from the repositories made here (and to certify).
PUBLISHING_SETTINGS = {"git_allow_file_urls": True, "git_allowed_hosts": ("github.com", "127.0.0.1"),
                       "catalog_reviewer_projects": REVIEWER_PROJECTS}

# connect.yaml in commercetools' format (valid for commercetools' own parser: tests/catalog/test_official_parser.py)
GOOD_SPEC = """\
deployAs:
  - name: shop-sync
    applicationType: service
    endpoint: /shop-sync
    configuration:
      standardConfiguration:
        - {key: SHOP_DOMAIN, description: Shop host, required: true}
        - {key: PAGE_SIZE, description: Page size, default: "50"}
      securedConfiguration:
        - {key: API_TOKEN, description: API token, required: true}
"""

# plugboard.yaml beside it: Plugboard's connection test.
GOOD_PLUGBOARD = """\
connection:
  baseUrl: "https://{SHOP_DOMAIN}/api"
  authentication: {type: bearer, tokenVariable: API_TOKEN}
  testRequest: {method: GET, path: /ping, expectedStatus: [200]}
"""

# The files of a good connector repository.
GOOD_FILES = {"connect.yaml": GOOD_SPEC, "plugboard.yaml": GOOD_PLUGBOARD}

Action = apb.ConnectorStagedUpdateAction
SETTLED = (spb.CONNECTOR_STATUS_PUBLISHED, spb.CONNECTOR_STATUS_FAILED, spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd,
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def make_repo(root: Path, files: dict[str, str], tag: str = "v1.0.0", annotated: bool = False) -> str:
    """A real git repository with ``files`` committed and tagged ``tag``; its file:// URL."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "README").write_text("connector\n")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "connector")
    git(root, "tag", *(["-a", "-m", "release"] if annotated else []), tag)
    return root.as_uri()


def service_spec(standard: Iterable[str] = (), secured: Iterable[str] = (), required: Iterable[str] = ()) -> str:
    """A connect.yaml with one service application, "service-app", whose configuration has the ``standard``
    and ``secured`` keys (each described by its name; those in ``required`` required)."""
    needed = set(required)

    def keys(names: Iterable[str]) -> str:
        return ", ".join(f"{{key: {name}, description: {name}{', required: true' if name in needed else ''}}}"
                         for name in names)

    return ("deployAs:\n  - name: service-app\n    applicationType: service\n    endpoint: /service-app\n"
            f"    configuration:\n      standardConfiguration: [{keys(standard)}]\n"
            f"      securedConfiguration: [{keys(secured)}]\n")


def connector_files(spec: str, connection: Mapping[str, Any] | None = None,
                    plugboard: str | None = None) -> dict[str, str]:
    """The files of a connector repository: ``spec`` as connect.yaml and, when given, ``connection`` (a
    `connection` section: how an instance tests its connection, as docs/connect-yaml.md describes it) as
    the `connection` of plugboard.yaml beside it, or ``plugboard`` as plugboard.yaml's text. Every test
    writes connection sections through here."""
    files = {"connect.yaml": spec}
    if connection is not None:
        plugboard = "connection: " + json.dumps(connection) + "\n"
    if plugboard is not None:
        files["plugboard.yaml"] = plugboard
    return files


_repos: dict[str, str] = {}


def connector_repo(spec: str, tag: str = "v1.0.0", connection: Mapping[str, Any] | None = None,
                   plugboard: str | None = None) -> str:
    """The file:// URL of a repository with the ``connector_files(spec, connection, plugboard)`` at ``tag``,
    made once per test process and content."""
    files = connector_files(spec, connection, plugboard)
    identity = json.dumps([tag, files], sort_keys=True)
    if identity not in _repos:
        root = Path(tempfile.mkdtemp(prefix="plugboard-repo-"))
        atexit.register(shutil.rmtree, root, True)
        _repos[identity] = make_repo(root / "connector", files, tag=tag)
    return _repos[identity]


def shared_repo_url() -> str:
    """One good connector repository (tag v1.0.0) for this test process."""
    return connector_repo(GOOD_SPEC, plugboard=GOOD_PLUGBOARD)


def wait_for(catalog, draft_id: str, done: Callable[[spb.ConnectorStaged], bool], *, project: str = "",  # type: ignore[no-untyped-def]
             timeout: float = 30.0) -> spb.ConnectorStaged:
    """The first state of the draft (snapshot or change) satisfying ``done``, from the watch stream."""
    stream = catalog.WatchConnectorStaged(pb.WatchConnectorStagedRequest(id=draft_id, project=project),
                                          timeout=timeout)
    try:
        for event in stream:
            if done(event.connector_staged):
                return event.connector_staged
    finally:
        stream.cancel()
    raise AssertionError("the watch stream ended before the draft settled")


def settled(catalog, draft_id: str, project: str = "") -> spb.ConnectorStaged:  # type: ignore[no-untyped-def]
    """The draft once its publish job finished (Published, Failed or ReadyForCertification)."""
    return wait_for(catalog, draft_id, lambda d: d.status in SETTLED, project=project)


def publish_and_wait(catalog, draft: spb.ConnectorStaged, *, certification: bool = False,  # type: ignore[no-untyped-def]
                     project: str = "acme") -> spb.ConnectorStaged:
    """Request a publish (the draft is Processing), then wait for the job's outcome."""
    processing = catalog.UpdateConnectorStaged(pb.UpdateConnectorStagedRequest(
        id=draft.id, version=draft.version, project=project,
        actions=[Action(publish=Action.Publish(certification=certification))]))
    assert processing.status == spb.CONNECTOR_STATUS_PROCESSING, processing.status
    return settled(catalog, draft.id, project)


def certify(catalog, certification, draft: spb.ConnectorStaged, *, project: str = "acme",  # type: ignore[no-untyped-def]
            reviewer: str = REVIEWER) -> spb.ConnectorStaged:
    """Publish with certification, start the review and approve it: the draft Published, public, listed."""
    from plugboard.catalog.v1 import certification_service_pb2 as cpb

    ready = publish_and_wait(catalog, draft, certification=True, project=project)
    assert ready.status == spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION, [
        (e.title, e.message) for e in ready.publishing_report.entries]
    started = certification.StartCertificationReview(cpb.StartCertificationReviewRequest(
        id=draft.id, version=ready.version, reviewer=reviewer))
    return certification.ApproveCertification(cpb.ApproveCertificationRequest(
        id=draft.id, version=started.version, reviewer=reviewer, comment="approved"))


__all__ = ["GOOD_FILES", "GOOD_PLUGBOARD", "GOOD_SPEC", "PUBLISHING_SETTINGS", "REVIEWER", "REVIEWER_PROJECTS", "make_repo", "certify",
           "connector_files", "connector_repo", "publish_and_wait", "service_spec", "settled", "shared_repo_url",
           "wait_for"]
