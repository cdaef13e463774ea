"""Reading a connector's repository with real git: local repositories made by the tests, real failures."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from catalog_service.domain.model import EntryType, Repository
from bench.procs import free_port
from catalog_service.publishing.source import read_connector_source, shown_url
from plugboard.settings import Settings
from tests.catalog.gitrepos import git, make_repo

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)

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
        - {key: API_KEY, description: API key, required: true}
"""
CONNECTION = """\
connection:
  baseUrl: "https://{SHOP_DOMAIN}/api"
  authentication: {type: api_key_header, parameterName: X-Api-Key, apiKeyVariable: API_KEY}
  testRequest: {method: GET, path: /ping, expectedStatus: [200, 204]}
"""
FILES = {"connect.yaml": GOOD_SPEC, "plugboard.yaml": CONNECTION}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path).with_overrides(git_allow_file_urls=True,
                                                      git_allowed_hosts=("github.com", "127.0.0.1"))


def read(url: str, tag: str, settings: Settings, **kwargs):  # type: ignore[no-untyped-def]
    return read_connector_source(Repository(url, tag), settings=settings, now=NOW, **kwargs)


def titles(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(entry.type.value, entry.title) for entry in result.entries]


@pytest.mark.parametrize("annotated", [False, True])
def test_good_repository_yields_the_specification(tmp_path, settings, annotated):
    url = make_repo(tmp_path / "repo", FILES, annotated=annotated)
    result = read(url, "v1.0.0", settings)
    assert titles(result) == [
        ("Information", "Git repository reachable"),
        ("Information", "Connector specification file found"),
        ("Information", "Plugboard file found"),
        ("Information", "Connector specification file valid"),
    ]
    spec = result.specification
    assert spec is not None and [app.name for app in spec.applications] == ["shop-sync"]
    app = spec.applications[0]
    assert [(k.key, k.required, k.default) for k in app.standard] == [("SHOP_DOMAIN", True, ""),
                                                                       ("PAGE_SIZE", False, "50")]
    assert [k.key for k in app.secured] == ["API_KEY"]
    assert spec.connection.base_url_template == "https://{SHOP_DOMAIN}/api"
    assert spec.connection.authentication.type == "api_key_header"
    assert spec.connection.test_request.expected_status == (200, 204)
    assert len(result.commit) == 40 and result.commit == git(tmp_path / "repo", "rev-parse", "v1.0.0^{commit}")


def test_the_tag_decides_which_file_is_read(tmp_path, settings):
    root = tmp_path / "repo"
    url = make_repo(root, {"connect.yaml": "deployAs: nope\n", "plugboard.yaml": CONNECTION}, tag="v1")
    (root / "connect.yaml").write_text(GOOD_SPEC)
    git(root, "commit", "--quiet", "-am", "fix")
    git(root, "tag", "v2")
    assert read(url, "v1", settings).specification is None
    assert read(url, "v2", settings).specification is not None


def test_a_spec_without_connection_is_published_with_a_warning(tmp_path, settings):
    spec = "deployAs:\n  - {name: job-app, applicationType: job, endpoint: /job, properties: {schedule: '@daily'}}\n"
    result = read(make_repo(tmp_path / "repo", {"connect.yaml": spec}), "v1.0.0", settings)
    assert result.specification is not None
    assert result.specification.applications[0].schedule == "@daily"
    assert titles(result)[-1] == ("Warning", "Connection test not configured")
    assert "plugboard.yaml" in result.entries[-1].message


def test_a_connection_inside_connect_yaml_still_works_with_a_warning_to_move_it(tmp_path, settings):
    """Existing connectors: connect.yaml's own connection section is read (and only that key is let
    through: connect.yaml is otherwise checked with commercetools' rules)."""
    result = read(make_repo(tmp_path / "repo", {"connect.yaml": GOOD_SPEC + CONNECTION}), "v1.0.0", settings)
    assert result.specification is not None and result.specification.connection is not None
    assert result.specification.connection.authentication.api_key_variable == "API_KEY"
    warnings = [e for e in result.entries if e.type is EntryType.WARNING]
    assert [e.title for e in warnings] == ["Connection test in connect.yaml"]
    assert "move it to plugboard.yaml" in warnings[0].message

    unknown = GOOD_SPEC + CONNECTION + "extras: {a: 1}\n"
    result = read(make_repo(tmp_path / "repo2", {"connect.yaml": unknown}), "v1.0.0", settings)
    assert result.specification is None
    assert "connect.yaml: [file content]: Unrecognized key(s) in object: 'extras'" in [
        e.message for e in result.entries if e.type is EntryType.ERROR]


def test_a_connection_in_both_files_is_an_error(tmp_path, settings):
    result = read(make_repo(tmp_path / "repo", {"connect.yaml": GOOD_SPEC + CONNECTION, "plugboard.yaml": CONNECTION}),
                  "v1.0.0", settings)
    assert result.specification is None
    assert any("in both plugboard.yaml and connect.yaml" in e.message for e in result.entries), result.entries


def test_plugboard_yaml_problems_name_their_file(tmp_path, settings):
    bad = CONNECTION.replace("apiKeyVariable: API_KEY", "apiKeyVariable: NOPE") + "extra: 1\n"
    result = read(make_repo(tmp_path / "repo", {"connect.yaml": GOOD_SPEC, "plugboard.yaml": bad}), "v1.0.0", settings)
    assert result.specification is None
    errors = [e.message for e in result.entries if e.type is EntryType.ERROR]
    assert "plugboard.yaml: Unrecognized key(s) in object: 'extra'" in errors, errors
    assert any(m.startswith("plugboard.yaml: [connection.authentication.apiKeyVariable]: names NOPE") for m in errors)


def test_missing_connect_yaml(tmp_path, settings):
    result = read(make_repo(tmp_path / "repo", {"sub/connect.yaml": GOOD_SPEC}), "v1.0.0", settings)
    assert result.specification is None
    assert titles(result)[-1] == ("Error", "Connector specification file not found")
    assert "connect.yaml" in result.entries[-1].message


def test_invalid_yaml_names_the_position(tmp_path, settings):
    result = read(make_repo(tmp_path / "repo", {"connect.yaml": "deployAs: [\n  - name: x\n"}), "v1.0.0", settings)
    assert result.specification is None
    assert titles(result)[-1] == ("Error", "Connector specification file not valid")
    assert result.entries[-1].message.startswith("connect.yaml: not valid YAML: ")
    assert "at line 2, column 3" in result.entries[-1].message


def test_invalid_specification_names_each_offending_path(tmp_path, settings):
    spec = GOOD_SPEC.replace("    endpoint: /shop-sync\n", "").replace("required: true}", "requried: true}")
    result = read(make_repo(tmp_path / "repo", {"connect.yaml": spec}), "v1.0.0", settings)
    assert result.specification is None
    errors = [e.message for e in result.entries if e.type is EntryType.ERROR]
    assert errors == [
        "connect.yaml: [deployAs.0.endpoint]: Required",
        "connect.yaml: [deployAs.0.configuration.standardConfiguration.0]: Unrecognized key(s) in object: 'requried'",
        "connect.yaml: [deployAs.0.configuration.securedConfiguration.0]: Unrecognized key(s) in object: 'requried'",
    ]


def test_unknown_tag(tmp_path, settings):
    result = read(make_repo(tmp_path / "repo", {"connect.yaml": GOOD_SPEC}), "v9.9.9", settings)
    assert titles(result) == [("Error", "Git tag not found")]
    assert "v9.9.9" in result.entries[0].message


@pytest.mark.parametrize("tag", ["--upload-pack=touch /tmp/pwned", "bad..tag", ""])
def test_malformed_tags_are_refused_before_git_runs_anything(tmp_path, settings, tag):
    result = read(make_repo(tmp_path / "repo", {"connect.yaml": GOOD_SPEC}), tag, settings)
    assert titles(result) == [("Error", "Git tag not found")]


def test_unreachable_repository(tmp_path, settings):
    result = read((tmp_path / "missing").as_uri(), "v1.0.0", settings)
    assert titles(result) == [("Error", "Git repository not reachable")]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://evil.example.com/acme/x.git", "the host 'evil.example.com' is not allowed"),
        ("git@evil.example.com:acme/x.git", "the host 'evil.example.com' is not allowed"),
        ("http://github.com/acme/x.git", "the scheme 'http' is not allowed"),
        ("ext::sh -c touch% /tmp/pwned", "without spaces"),
        ("--upload-pack=x", "must be an https, ssh or file URL"),
        ("file://otherhost/srv/x.git", "a file URL names no host"),
    ],
)
def test_urls_outside_the_allow_list_are_refused(settings, url, why):
    result = read(url, "v1.0.0", settings)
    assert titles(result) == [("Error", "Git repository URL not allowed")]
    assert why in result.entries[0].message


def test_file_urls_need_the_setting(tmp_path, settings):
    url = make_repo(tmp_path / "repo", {"connect.yaml": GOOD_SPEC})
    result = read(url, "v1.0.0", settings.with_overrides(git_allow_file_urls=False))
    assert titles(result) == [("Error", "Git repository URL not allowed")]
    assert "PLUGBOARD_GIT_ALLOW_FILE_URLS" in result.entries[0].message


def test_credentials_in_the_url_never_reach_the_report(settings):
    port = free_port()
    result = read(f"https://deploy:tok3n-s3cret@127.0.0.1:{port}/acme/x.git", "v1.0.0", settings)
    assert titles(result) == [("Error", "Git repository not reachable")]
    assert "tok3n-s3cret" not in repr(result) and "deploy" not in repr(result)
    assert f"https://127.0.0.1:{port}/acme/x.git" in result.entries[0].message
    assert shown_url("git@github.com:acme/x.git") == "github.com:acme/x.git"


def git_processes_naming(text: str) -> list[str]:
    """Live (not zombie) processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in command and state not in ("Z", "X"):
            found.append(command)
    return found


def wait_until_gone(text: str, seconds: float = 10.0) -> list[str]:
    """The processes naming ``text`` still alive after at most ``seconds`` (a killed process needs a
    moment to exit; one that was not killed stays, since its server never answers)."""
    deadline = time.monotonic() + seconds
    while (alive := git_processes_naming(text)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def test_a_server_that_never_answers_runs_into_the_deadline(settings):
    """A TCP listener that accepts and says nothing: git is stopped at the deadline, not left hanging,
    and so is every helper it started (git-remote-https): the whole process group is killed."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        result = read(f"https://127.0.0.1:{port}/acme/x.git", "v1.0.0", settings, timeout_seconds=1.0)
        # Checked while the connections are still open: a surviving helper would wait on them forever.
        survivors = wait_until_gone(f"127.0.0.1:{port}/acme/x.git")
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
    assert titles(result) == [("Error", "Git repository not reachable")]
    assert "did not finish within 1 s" in result.entries[0].message
    assert accepted, "git never connected, so the deadline was not what stopped it"
    assert survivors == []


# --- repository credentials (setRepositoryCredentials): used by git, never in its arguments or a URL ---


def test_https_credentials_reach_a_private_repository_in_a_header_only(tmp_path, settings):
    from catalog_service.domain.credentials import GitCredentials
    from tests.catalog.git_https import bare_copy, serve_private_repos

    token = "tok3n-" + "s3cret-canary"
    make_repo(tmp_path / "work", FILES)
    name = bare_copy(tmp_path / "work", tmp_path / "served", "private.git")
    server = serve_private_repos(tmp_path / "served", "deploy", token, tmp_path / "tls")
    try:
        trusted = settings.with_overrides(git_ca_file=str(server.ca_file))
        result = read(server.url(name), "v1.0.0", trusted,
                      credentials=GitCredentials("https", "deploy", token))
        assert result.specification is not None, titles(result)
        assert server.seen and all(s.authenticated for s in server.seen)
        assert all(token not in s.path for s in server.seen)
        server.seen.clear()
        without = read(server.url(name), "v1.0.0", trusted)
        assert titles(without) == [("Error", "Git repository not reachable")]
        assert server.seen and not any(s.authenticated for s in server.seen)
        wrong = read(server.url(name), "v1.0.0", trusted, credentials=GitCredentials("https", "deploy", "nope"))
        assert titles(wrong) == [("Error", "Git repository not reachable")]
        for outcome in (result, without, wrong):
            assert all(token not in e.message for e in outcome.entries)
    finally:
        server.stop()


def test_credentials_of_the_other_transport_are_an_error(tmp_path, settings):
    from catalog_service.domain.credentials import GitCredentials

    url = make_repo(tmp_path / "repo", FILES)
    result = read(url, "v1.0.0", settings, credentials=GitCredentials("https", "u", "t"))
    assert titles(result) == [("Error", "Git repository credentials do not match the URL")]


def test_an_ssh_key_goes_to_ssh_as_a_private_file_removed_afterwards(tmp_path, settings, monkeypatch):
    """A stand-in ``ssh`` first on PATH records how git ran it: the key is a 0600 file named by ``-i``
    (never its content in an argument), and the file is gone once the read ends."""
    from catalog_service.domain.credentials import GitCredentials

    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1jYW5hcnk=\n-----END OPENSSH PRIVATE KEY-----\n"
    record = tmp_path / "ssh-calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ssh"
    fake.write_text("#!/bin/sh\n"
                    f"for a in \"$@\"; do echo \"arg:$a\" >> {record}; done\n"
                    "prev=''; for a in \"$@\"; do if [ \"$prev\" = -i ]; then "
                    f"stat -c 'mode:%a' \"$a\" >> {record}; cat \"$a\" >> {record}; echo \"file:$a\" >> {record}; fi; "
                    "prev=$a; done\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    result = read("ssh://git@github.com/acme/private.git", "v1.0.0", settings,
                  credentials=GitCredentials("ssh", "", key))
    assert titles(result) == [("Error", "Git repository not reachable")]
    lines = record.read_text().splitlines()
    assert "arg:-i" in lines and "arg:IdentitiesOnly=yes" in lines and "mode:600" in lines
    assert "c2VjcmV0LWtleS1jYW5hcnk=" in lines  # ssh read the key from the file ...
    assert not any("c2VjcmV0" in line for line in lines if line.startswith("arg:"))  # ... not from an argument
    key_file = next(line[5:] for line in lines if line.startswith("file:"))
    assert not Path(key_file).exists() and not Path(key_file).parent.exists()
