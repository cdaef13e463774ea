"""Repository credentials over real gRPC, on SQLite and PostgreSQL: a repository URL never carries
credentials (refused on every path that takes one), ``setRepositoryCredentials`` is write-only (a type
and a fingerprint are all that comes back), and a publish from a private https repository (``git
http-backend`` behind basic authentication on loopback) succeeds with them and fails without."""

from __future__ import annotations

import json
import logging

import grpc
import peewee
import pytest

from catalog_service.server import create_server
from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import catalog_service_pb2_grpc, certification_service_pb2_grpc
from plugboard.catalog.v1 import certification_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.storage.database import open_database as connect
from tests.catalog.conftest import POLL_SECONDS
from tests.catalog.git_https import bare_copy, serve_private_repos
from tests.catalog.gitrepos import GOOD_FILES, REVIEWER, make_repo, publish_and_wait
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.harness import start_server
from tests.rich import expect_error, fields

TOKEN = "ghp_repoCredCanary0123456789"
SSH_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\nc3NoLWtleS1jYW5hcnktMDEyMzQ1Njc4OQ==\n"
           "-----END OPENSSH PRIVATE KEY-----\n")
CREDENTIAL_URLS = [
    f"https://deploy:{TOKEN}@github.com/acme/private.git",
    f"https://{TOKEN}@github.com/acme/private.git",
    f"ssh://deploy:{TOKEN}@github.com/acme/private.git",
    f"file://deploy:{TOKEN}@/tmp/private.git",
]
ALLOWED_URLS = ["git@github.com:acme/private.git", "ssh://git@github.com/acme/private.git",
                "https://github.com/acme/private.git"]
Https = Action.SetRepositoryCredentials.HttpsToken
Ssh = Action.SetRepositoryCredentials.SshKey


def https_credentials(token: str = TOKEN, username: str = "deploy") -> Action:
    return Action(set_repository_credentials=Action.SetRepositoryCredentials(
        https=Https(username=username, token=token)))


@pytest.mark.parametrize("url", CREDENTIAL_URLS)
def test_a_url_with_credentials_is_refused_on_create_and_set_repository(catalog, unique, url):
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: create(
        catalog, f"cred-{unique}", repository=spb.Repository(url=url, tag="v1")))
    assert fields(error) == {"draft.repository.url"}
    assert TOKEN not in error.message and all(TOKEN not in v.description for v in error.violations)
    assert "setRepositoryCredentials" in error.violations[0].description
    draft = create(catalog, f"cred-{unique}")
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(
        catalog, draft, Action(set_repository=Action.SetRepository(url=url, tag="v1"))))
    assert fields(error) == {"actions[0].set_repository.url"} and TOKEN not in str(error)
    assert catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id)).version == 1


def test_an_ssh_login_user_without_a_password_stays_allowed(catalog, unique):
    for index, url in enumerate(ALLOWED_URLS):
        draft = create(catalog, f"ok-{index}-{unique}", repository=spb.Repository(url=url, tag="v1"))
        assert draft.repository.url == url


def test_credentials_are_write_only_and_shown_as_a_fingerprint(catalog, unique):
    draft = create(catalog, f"wo-{unique}")
    assert not draft.HasField("repository_credentials")
    with_token = update(catalog, draft, https_credentials())
    info = with_token.repository_credentials
    assert info.type == spb.REPOSITORY_CREDENTIALS_TYPE_HTTPS_TOKEN and len(info.fingerprint) == 8
    assert with_token.status == spb.CONNECTOR_STATUS_DRAFT and not with_token.has_changes
    again = update(catalog, with_token, https_credentials())
    other = update(catalog, again, https_credentials(token=TOKEN + "x"))
    assert again.repository_credentials.fingerprint == info.fingerprint  # same value, same fingerprint
    assert other.repository_credentials.fingerprint != info.fingerprint
    with_key = update(catalog, other, Action(set_repository_credentials=Action.SetRepositoryCredentials(
        ssh=Ssh(private_key=SSH_KEY))))
    assert with_key.repository_credentials.type == spb.REPOSITORY_CREDENTIALS_TYPE_SSH_KEY
    answers = [draft, with_token, again, other, with_key,
               catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id)),
               catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project="acme", limit=500))]
    for answer in answers:
        data = answer.SerializeToString()
        assert TOKEN.encode() not in data and b"c3NoLWtleS1jYW5hcnkt" not in data
    removed = update(catalog, with_key, Action(set_repository_credentials=Action.SetRepositoryCredentials()))
    assert not removed.HasField("repository_credentials")


def test_bad_credentials_are_named_without_their_value(catalog, unique):
    draft = create(catalog, f"bad-{unique}")
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(
        catalog, draft, https_credentials(token=""), https_credentials(token=f"has space {TOKEN}"),
        https_credentials(username="a:b"),
        Action(set_repository_credentials=Action.SetRepositoryCredentials(ssh=Ssh(private_key=TOKEN)))))
    assert fields(error) == {"actions[0].set_repository_credentials.https.token",
                             "actions[1].set_repository_credentials.https.token",
                             "actions[2].set_repository_credentials.https.username",
                             "actions[3].set_repository_credentials.ssh.private_key"}
    assert TOKEN not in str(error) and all(TOKEN not in v.description for v in error.violations)


# --- a private https repository, published through the catalog ------------------------------------


@pytest.fixture
def private_repo(tmp_path):
    make_repo(tmp_path / "work", GOOD_FILES)
    name = bare_copy(tmp_path / "work", tmp_path / "served", "private.git")
    server = serve_private_repos(tmp_path / "served", "deploy", TOKEN, tmp_path / "tls")
    yield server, server.url(name)
    server.stop()


@pytest.fixture
def private_catalog(catalog_settings, private_repo):
    server, _ = private_repo
    settings = catalog_settings.with_overrides(git_ca_file=str(server.ca_file))
    running = start_server(lambda: create_server(settings, port=0, poll_seconds=POLL_SECONDS))
    yield catalog_service_pb2_grpc.CatalogServiceStub(running.channel), \
        certification_service_pb2_grpc.CertificationServiceStub(running.channel)
    running.stop()


def test_a_private_https_repository_publishes_with_its_credentials_only(private_catalog, private_repo, unique,
                                                                        database_url, caplog):
    catalog, _ = private_catalog
    server, url = private_repo
    with caplog.at_level(logging.DEBUG):
        draft = create(catalog, f"private-{unique}", repository=spb.Repository(url=url, tag="v1.0.0"))
        failed = publish_and_wait(catalog, draft)
        assert failed.status == spb.CONNECTOR_STATUS_FAILED
        assert "Git repository not reachable" in [e.title for e in failed.publishing_report.entries]
        assert server.seen and not any(s.authenticated for s in server.seen)  # asked, refused, no credentials
        server.seen.clear()
        with_token = update(catalog, failed, https_credentials())
        published = publish_and_wait(catalog, with_token)
        assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, [
            (e.title, e.message) for e in published.publishing_report.entries]
        assert server.seen and all(s.authenticated and TOKEN not in s.path for s in server.seen)
        connector = catalog.GetConnector(pb.GetConnectorRequest(id=draft.id, project="acme"))
        listed = catalog.ListConnectors(pb.ListConnectorsRequest(project="acme", limit=500))
        versions = catalog.ListConnectorVersions(pb.ListConnectorVersionsRequest(connector_id=draft.id))
    assert connector.latest.repository.url == url
    for answer in (failed, with_token, published, connector, listed, versions):
        assert TOKEN.encode() not in answer.SerializeToString()
    assert TOKEN not in caplog.text  # DEBUG: SQL parameters, access log, job log lines
    db = connect(database_url)
    try:
        rows = db.execute_sql('SELECT "body", "repository_credentials" FROM "connector_staged"').fetchall()
        rows += db.execute_sql('SELECT "body", \'\' FROM "connector_version"').fetchall()
    finally:
        db.close()
    stored = " ".join(f"{body} {sealed}" for body, sealed in rows)
    assert TOKEN not in stored
    assert any(sealed for _, sealed in rows)


def test_the_certification_queue_shows_no_credentials(private_catalog, private_repo, unique):
    """A draft of a private repository submitted to certification: the reviewers' queue has it, with
    its URL (no user information, by construction) and its credentials' type and fingerprint only."""
    catalog, certification = private_catalog
    _, url = private_repo
    draft = create(catalog, f"queued-{unique}", repository=spb.Repository(url=url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs")
    ready = publish_and_wait(catalog, update(catalog, draft, https_credentials()), certification=True)
    assert ready.status == spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION, [
        (e.title, e.message) for e in ready.publishing_report.entries]
    queue = certification.ListCertificationQueue(cpb.ListCertificationQueueRequest(reviewer=REVIEWER, limit=500))
    [queued] = [d for d in queue.results if d.id == draft.id]
    assert queued.repository.url == url and queued.repository_credentials.fingerprint
    assert TOKEN.encode() not in queue.SerializeToString()
    for entry in queue.results:
        authority = entry.repository.url.split("://", 1)[-1].split("/", 1)[0]
        assert ":" not in authority.split("@")[0] or "@" not in authority  # never user:password@
    started = certification.StartCertificationReview(cpb.StartCertificationReviewRequest(
        id=draft.id, version=ready.version, reviewer=REVIEWER))
    approved = certification.ApproveCertification(cpb.ApproveCertificationRequest(
        id=draft.id, version=started.version, reviewer=REVIEWER))
    assert approved.certified and TOKEN.encode() not in approved.SerializeToString()
    public = catalog.GetConnector(pb.GetConnectorRequest(id=draft.id, project="anyone"))
    assert public.latest.repository.url == url and TOKEN.encode() not in public.SerializeToString()


def test_stored_urls_with_credentials_lose_them_in_migration_5(empty_database_url):
    """Drafts and a published version written before migration 5 with credentials in their URL: the
    user information goes (an ssh login user stays), and a draft that matched its published version
    still does (hasChanges stays false)."""
    import json
    from dataclasses import replace
    from datetime import datetime, timezone

    from catalog_service.domain.model import Draft, Repository, content_hash
    from catalog_service.domain.publishing import new_version
    from catalog_service.storage import codec
    from catalog_service.storage.migrations import MIGRATIONS
    from plugboard.storage.migrations import migrate

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    urls = {"d1": f"https://deploy:{TOKEN}@github.com/acme/x.git", "d2": f"ssh://git:{TOKEN}@github.com/acme/x.git",
            "d3": "git@github.com:acme/x.git", "d4": f"https://{TOKEN}@github.com/acme/x.git"}
    db: peewee.Database = connect(empty_database_url)
    try:
        migrate(db, "catalog", MIGRATIONS[:4])
        for draft_id, url in urls.items():
            draft = Draft(id=draft_id, key=draft_id, version=1, name="n", created_at=now, updated_at=now,
                          creator_project="acme", repository=Repository(url, "v1"))
            if draft_id == "d1":  # published, unchanged since
                draft = replace(draft, published_version=1, published_hash=content_hash(draft))
            db.execute_sql(
                'INSERT INTO "connector_staged" ("id", "key", "version", "name", "status", "private",'
                ' "is_previewable", "creator_project", "published_version", "created_at", "updated_at", "body")'
                f' VALUES ({", ".join([db.param] * 12)})',
                (draft.id, draft.key, 1, "n", "Published" if draft.published_version else "Draft", True, "none",
                 "acme", draft.published_version, codec.naive_utc(now), codec.naive_utc(now),
                 codec.draft_body(draft)))
            if draft.published_version:
                version = new_version(draft, certified=False, now=now)
                db.execute_sql(
                    'INSERT INTO "connector" ("id", "key", "lifecycle", "lifecycle_changed_at", "listed",'
                    ' "certified", "private", "creator_project", "latest_version", "name", "description",'
                    f' "created_at", "updated_at") VALUES ({", ".join([db.param] * 13)})',
                    ("d1", "d1", "ACTIVE", codec.naive_utc(now), True, False, True, "acme", 1, "n", "",
                     codec.naive_utc(now), codec.naive_utc(now)))
                db.execute_sql(f'INSERT INTO "connector_version" VALUES ({", ".join([db.param] * 4)})',
                               ("d1", 1, codec.naive_utc(now), codec.version_body(version)))
        migrate(db, "catalog", MIGRATIONS)
        rows = db.execute_sql('SELECT "id", "key", "version", "name", "status", "private", "is_previewable",'
                              ' "creator_project", "published_version", "created_at", "updated_at",'
                              ' "submitted_at", "repository_credentials", "body" FROM "connector_staged"').fetchall()
        version_body = db.execute_sql('SELECT "body" FROM "connector_version"').fetchone()[0]
    finally:
        db.close()
    drafts = {row[0]: codec.draft_from_row(dict(zip(codec.DRAFT_COLUMNS, row[:-1])), row[-1]) for row in rows}
    assert {k: d.repository.url for k, d in drafts.items()} == {
        "d1": "https://github.com/acme/x.git", "d2": "ssh://git@github.com/acme/x.git",
        "d3": "git@github.com:acme/x.git", "d4": "https://github.com/acme/x.git"}
    assert json.loads(version_body)["repository"]["url"] == "https://github.com/acme/x.git"
    assert not drafts["d1"].has_changes
    assert TOKEN not in " ".join(row[-1] for row in rows) + version_body


def test_credentials_wait_while_a_job_or_a_review_runs(catalog, unique, repo_url):
    draft = create(catalog, f"busy-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"),
                   documentation_url="https://example.com/docs")
    ready = publish_and_wait(catalog, draft, certification=True)
    assert ready.status == spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(catalog, ready, https_credentials()),
                 reason="CONNECTOR_STAGED_IN_CERTIFICATION")


def test_credentials_under_a_key_no_longer_configured_fail_the_publish_cleanly(catalog_settings, private_repo,
                                                                             unique):
    """The catalog restarted without the key that sealed the credentials: the publish is an Error entry
    asking for them again (never INTERNAL, never a hang in Processing), and setting them again works."""
    import base64

    server, url = private_repo

    def keys(*names: str) -> str:
        return ",".join(f"{name}:{base64.b64encode(name.encode() * (32 // len(name))).decode()}" for name in names)

    def running(secret_keys: str):  # type: ignore[no-untyped-def]
        settings = catalog_settings.with_overrides(git_ca_file=str(server.ca_file), secret_keys=secret_keys)
        return start_server(lambda: create_server(settings, port=0, poll_seconds=POLL_SECONDS))

    first = running(keys("k1"))
    try:
        catalog = catalog_service_pb2_grpc.CatalogServiceStub(first.channel)
        draft = update(catalog, create(catalog, f"rekey-{unique}", repository=spb.Repository(url=url, tag="v1.0.0")),
                       https_credentials())
    finally:
        first.stop()
    second = running(keys("k2"))
    try:
        catalog = catalog_service_pb2_grpc.CatalogServiceStub(second.channel)
        failed = publish_and_wait(catalog, draft)
        assert failed.status == spb.CONNECTOR_STATUS_FAILED
        assert ("Git repository credentials not readable" in
                [e.title for e in failed.publishing_report.entries]), failed.publishing_report
        again = update(catalog, failed, https_credentials())
        assert publish_and_wait(catalog, again).status == spb.CONNECTOR_STATUS_PUBLISHED
    finally:
        second.stop()


def _keys(*names: str) -> str:
    import base64

    return ",".join(f"{name}:{base64.b64encode(name.encode() * (32 // len(name))).decode()}" for name in names)


def test_rotate_reseals_repository_credentials_under_the_newest_key(catalog_settings, private_repo, unique,
                                                                     database_url, tmp_path, monkeypatch, capsys):
    """``plugboard secrets rotate`` re-seals the drafts' repository credentials too (both services by
    default), in batches, one transaction and one ``rotateSecret`` record (system actor, type and
    fingerprints) per draft, idempotently; with the old key removed, a publish from the private
    repository still works, and no stored row or record holds the token."""
    import base64

    from plugboard import history
    from plugboard.cli import main
    from plugboard.history.storage import HistoryTable, record_model
    from plugboard.secrets import Keyring

    server, url = private_repo

    def running(secret_keys: str):  # type: ignore[no-untyped-def]
        settings = catalog_settings.with_overrides(git_ca_file=str(server.ca_file), secret_keys=secret_keys)
        return start_server(lambda: create_server(settings, port=0, poll_seconds=POLL_SECONDS))

    def sealed_key_ids() -> list[str]:
        db = connect(database_url)
        try:
            rows = db.execute_sql('SELECT "repository_credentials" FROM "connector_staged"'
                                  ' WHERE "repository_credentials" IS NOT NULL').fetchall()
        finally:
            db.close()
        return [Keyring.key_id_of(base64.b64decode(json.loads(column)["sealed"])) for (column,) in rows]

    first = running(_keys("k1"))
    try:
        catalog = catalog_service_pb2_grpc.CatalogServiceStub(first.channel)
        drafts = [update(catalog, create(catalog, f"rot{n}-{unique}", repository=spb.Repository(url=url, tag="v1.0.0")),
                         https_credentials()) for n in range(3)]
    finally:
        first.stop()
    assert sealed_key_ids() == ["k1"] * 3

    monkeypatch.setenv("PLUGBOARD_CATALOG_DATABASE_URL", database_url)
    monkeypatch.setenv("PLUGBOARD_INSTANCE_DATABASE_URL", f"sqlite:///{tmp_path / 'instance.db'}")
    monkeypatch.setenv("PLUGBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLUGBOARD_SECRET_KEYS", _keys("k1", "k2"))
    assert main(["secrets", "rotate", "--service", "catalog", "--batch-size", "2"]) == 0
    printed = capsys.readouterr().out
    assert "catalog batch 2:" in printed and "3 re-sealed" in printed and TOKEN not in printed
    assert sealed_key_ids() == ["k2"] * 3

    db = connect(database_url)
    try:
        rotated = HistoryTable(db, record_model("catalog_change", db)).query(
            history.Query(change="rotateSecret", limit=100)).items
        stored = " ".join(str(row) for table in ("connector_staged", "catalog_change")
                          for row in db.execute_sql(f'SELECT * FROM "{table}"').fetchall())
        versions = {row[0]: row[1] for row in db.execute_sql('SELECT "id", "version" FROM "connector_staged"')}
    finally:
        db.close()
    assert TOKEN not in stored  # the canary: only ciphertext and fingerprints
    assert sorted(r.resource_id for r in rotated) == sorted(d.id for d in drafts)
    assert all(r.author.system == "secrets-rotate" and r.author.kind is history.AuthorKind.SYSTEM for r in rotated)
    (change,) = rotated[0].changes
    assert change.previous["type"] == change.next["type"] == "https" and change.next["changed"]
    assert set(change.next) == {"type", "changed", "fingerprint"}
    assert all(versions[d.id] == d.version for d in drafts)  # nothing the creator set changed

    assert main(["secrets", "rotate"]) == 0  # both services by default; nothing left to do
    assert "0 re-sealed, 3 already under key k2" in capsys.readouterr().out

    second = running(_keys("k2"))  # the old key is gone
    try:
        catalog = catalog_service_pb2_grpc.CatalogServiceStub(second.channel)
        current = catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=drafts[0].id))
        record = next(r for r in rotated if r.resource_id == current.id)
        assert current.repository_credentials.fingerprint == record.changes[0].next["fingerprint"]
        published = publish_and_wait(catalog, current)
        assert published.status == spb.CONNECTOR_STATUS_PUBLISHED, [
            (e.title, e.message) for e in published.publishing_report.entries]
        assert server.seen and all(s.authenticated for s in server.seen)
    finally:
        second.stop()

    monkeypatch.setenv("PLUGBOARD_SECRET_KEYS", _keys("k3"))  # a key none is under: said, exit 1
    assert main(["secrets", "rotate", "--service", "catalog"]) == 1
    assert "could not be decrypted" in capsys.readouterr().out
