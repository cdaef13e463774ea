"""Secrets canary scan: unique secret values are seeded, every instance RPC runs on them (directly
and through the gateway), and then every response, status message, rich error detail, log record at
every level and the database (SQLite main, -wal and -shm files; a pg_dump of the PostgreSQL
database) is searched for them: zero plaintext hits.

Positive controls keep the scan honest: a plain setting written the same way IS found in the
database, and the loopback HTTP server standing in for the third-party system DOES receive the secret
(the connection test really used it), so a scan that reads nothing cannot pass.

A ciphertext moved to another instance's row (SQL on the storage layer) does not decrypt there: the
connection test of that instance fails cleanly (no UNKNOWN/INTERNAL, nothing sent with the moved
secret, no plaintext anywhere).
"""

from __future__ import annotations

import glob
import http.server
import logging
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import peewee
import pytest
from google.protobuf import field_mask_pb2, message

from plugboard.history.v1 import history_pb2 as hpb
from plugboard.instance.v1 import change_history_service_pb2_grpc as ihgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.logs import OneLineFormatter
from plugboard.storage.database import open_database
from tests.reliability import fuzz
from tests.reliability.conftest import STORAGES, storage_url
from tests.reliability.stack import Stack, create_instance, start_stack


class ThirdParty:
    """A loopback HTTP server answering 200 to /ping and recording every request's headers and path."""

    def __init__(self) -> None:
        seen = self.seen = []  # type: list[str]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                seen.append(f"{self.path}\n{self.headers}")
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Transcript:
    """Every string the callers saw: responses, status messages, rich details, trailing metadata."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.codes: list[str] = []

    def call(self, what: str, fn: Callable[[], object]) -> object | None:
        try:
            reply = fn()
        except grpc.RpcError as exc:
            outcome = fuzz.outcome_of(exc)
            fuzz.check_outcome(outcome, what)
            self.codes.append(f"{what}: {outcome.code.name}")
            self.texts += [outcome.details, *outcome.detail_strings]
            return None
        self.codes.append(f"{what}: OK")
        if isinstance(reply, message.Message):
            self.texts.append(str(reply))
            self.texts.append(reply.SerializeToString().decode("latin-1"))
        return reply


def database_texts(stack: Stack) -> dict[str, bytes]:
    """The database's bytes: SQLite files as they are, PostgreSQL as a pg_dump."""
    if stack.kind == "sqlite":
        path = stack.database_url[len("sqlite:///"):]
        return {suffix: Path(path + suffix).read_bytes() for suffix in ("", "-wal", "-shm")
                if Path(path + suffix).exists()}
    pg_dump = shutil.which("pg_dump") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))[-1:]), None)
    if pg_dump is None:
        pytest.skip("pg_dump not found")
    dump = subprocess.run([pg_dump, "--no-owner", "--dbname", stack.database_url], capture_output=True, check=True,
                          timeout=60)
    return {"pg_dump": dump.stdout}


@pytest.fixture(params=STORAGES)
def canary_stack(request, tmp_path) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    for url in storage_url(request.param, tmp_path, request):
        stack = start_stack(request.param, url, tmp_path)
        try:
            yield stack
        finally:
            stack.stop()


def scan(canaries: list[str], transcript: Transcript, records: list[logging.LogRecord], stack: Stack) -> list[str]:
    formatter = OneLineFormatter()
    hits = []
    for canary in canaries:
        for text in transcript.texts:
            if canary in text:
                hits.append(f"response/error: {text[:120]!r}")
        for record in records:
            line = formatter.format(record)
            raw = f"{record.getMessage()} {record.args!r} {record.exc_info[1] if record.exc_info else ''}"
            if canary in line or canary in raw:
                hits.append(f"log {record.levelname} {record.name}: {line[:160]}")
        for name, content in database_texts(stack).items():
            if canary.encode() in content:
                hits.append(f"database {name}")
    return hits


def test_no_secret_plaintext_in_responses_errors_logs_or_database(canary_stack, caplog):
    stack = canary_stack
    caplog.set_level(logging.DEBUG)
    run = uuid.uuid4().hex
    token, password, new_token = (f"canary-{name}-{run}" for name in ("token", "password", "rotated"))
    plain = f"plain-setting-{run}"
    third_party = ThirdParty()
    transcript = Transcript()
    try:
        for channel_name, channel in (("direct", stack.instance.channel), ("gateway", stack.gateway.channel)):
            stub = igrpc.InstanceServiceStub(channel)
            call = transcript.call
            created = call(f"{channel_name} create", lambda: create_instance(
                stub, stack.project, stack.connector_key, f"canary {channel_name}",
                secrets={"API_TOKEN": token, "PASSWORD": password},
                plain={"ACCOUNT": plain, "HOST": third_party.host}))
            assert isinstance(created, ipb.Instance), transcript.codes
            iid, project = created.id, stack.project
            call(f"{channel_name} get", lambda: stub.GetInstance(ispb.GetInstanceRequest(project=project, id=iid)))
            call(f"{channel_name} list", lambda: stub.ListInstances(ispb.ListInstancesRequest(project=project)))
            call(f"{channel_name} test", lambda: stub.TestInstanceConnection(
                ispb.TestInstanceConnectionRequest(project=project, id=iid), timeout=15))
            call(f"{channel_name} tests", lambda: stub.ListConnectionTests(
                ispb.ListConnectionTestsRequest(project=project, instance_id=iid)))
            # Error paths that carry the secret in the request: a stale version, an unknown secret key,
            # a secret value where the field is limited.
            call(f"{channel_name} stale update", lambda: stub.UpdateInstance(ispb.UpdateInstanceRequest(
                project=project, instance=ipb.Instance(id=iid, version=99, variables=[
                    ipb.Variable(key="API_TOKEN", value=token)]),
                update_mask=field_mask_pb2.FieldMask(paths=["variables"]))))
            call(f"{channel_name} bad key", lambda: stub.UpdateInstance(ispb.UpdateInstanceRequest(
                project=project, instance=ipb.Instance(id=iid, version=created.version, variables=[
                    ipb.Variable(key="NOPE", value=token, secret=True)]),
                update_mask=field_mask_pb2.FieldMask(paths=["variables"]))))
            call(f"{channel_name} bad name", lambda: stub.UpdateInstance(ispb.UpdateInstanceRequest(
                project=project, instance=ipb.Instance(id=iid, version=created.version, name=token * 40),
                update_mask=field_mask_pb2.FieldMask(paths=["name"]))))
            updated = call(f"{channel_name} update", lambda: stub.UpdateInstance(ispb.UpdateInstanceRequest(
                project=project, instance=ipb.Instance(id=iid, version=created.version, variables=[
                    ipb.Variable(key="API_TOKEN", value=new_token)]),
                update_mask=field_mask_pb2.FieldMask(paths=["variables"]))))
            call(f"{channel_name} test again", lambda: stub.TestInstanceConnection(
                ispb.TestInstanceConnectionRequest(project=project, id=iid), timeout=15))
            call(f"{channel_name} references", lambda: igrpc.InstanceServiceStub(stack.instance.channel)
                 .CountConnectorReferences(ispb.CountConnectorReferencesRequest(connector_id=stack.connector_id)))
            if channel_name == "gateway" and isinstance(updated, ipb.Instance):
                call("gateway delete", lambda: stub.DeleteInstance(ispb.DeleteInstanceRequest(
                    project=project, id=iid, version=updated.version)))

        # The change records of all of the above, read directly and through the gateway, are scanned too;
        # they hold the plain setting (a positive control: the scan reads them) but never a secret.
        for channel_name, channel in (("direct", stack.instance.channel), ("gateway", stack.gateway.channel)):
            changes = ihgrpc.InstanceChangeHistoryServiceStub(channel)
            page = transcript.call(f"{channel_name} changes", lambda: changes.ListChanges(
                hpb.ListChangesRequest(project=stack.project, limit=500)))
            assert isinstance(page, hpb.ListChangesResponse) and page.count > 0, transcript.codes
            assert plain in str(page), "the change records hold no variable values: the scan proves nothing"
            for item in page.results:
                transcript.call(f"{channel_name} change", lambda: changes.GetChange(
                    hpb.GetChangeRequest(project=stack.project, id=item.id)))

        # Positive controls: the plain setting is stored in the clear, the secret reached the system.
        assert any(plain.encode() in content for content in database_texts(stack).values()), \
            "the database scan reads no data"
        if any(code.endswith("test: OK") for code in transcript.codes):
            assert any(token in request for request in third_party.seen), \
                "the connection test never sent the secret: the scan proves nothing about it"
        hits = scan([token, password, new_token], transcript, caplog.records, stack)
        assert not hits, hits[:10]
        print(f"canary scan ({stack.kind}): {len(transcript.codes)} calls {transcript.codes}, "
              f"{len(caplog.records)} log records, 0 hits")
    finally:
        third_party.close()


def _database(stack: Stack) -> peewee.Database:
    return open_database(stack.database_url)


def test_a_ciphertext_moved_to_another_instance_does_not_decrypt(canary_stack, caplog):
    stack = canary_stack
    caplog.set_level(logging.DEBUG)
    run = uuid.uuid4().hex
    victim_secret = f"canary-victim-{run}"
    third_party = ThirdParty()
    transcript = Transcript()
    try:
        stub = igrpc.InstanceServiceStub(stack.instance.channel)
        victim = create_instance(stub, stack.project, stack.connector_key, "victim",
                                 secrets={"API_TOKEN": victim_secret}, plain={"HOST": third_party.host})
        thief = create_instance(stub, stack.project, stack.connector_key, "thief",
                                secrets={"API_TOKEN": f"thief-{run}"}, plain={"HOST": third_party.host})
        db = _database(stack)
        try:
            param = db.param
            row = db.execute_sql(
                f"SELECT ciphertext FROM instance_variables WHERE instance_id = {param} AND key = {param}",
                (victim.id, "API_TOKEN")).fetchone()
            assert row is not None and row[0], "the victim's secret is stored as a ciphertext"
            moved = db.execute_sql(
                f"UPDATE instance_variables SET ciphertext = {param} WHERE instance_id = {param} AND key = {param}",
                (row[0], thief.id, "API_TOKEN"))
            assert moved.rowcount == 1  # peewee commits statements run outside a transaction
        finally:
            db.close()

        got = transcript.call("get thief", lambda: stub.GetInstance(
            ispb.GetInstanceRequest(project=stack.project, id=thief.id)))
        assert got is not None, transcript.codes  # reading metadata needs no decryption
        result = transcript.call("test thief", lambda: stub.TestInstanceConnection(
            ispb.TestInstanceConnectionRequest(project=stack.project, id=thief.id), timeout=15))
        if isinstance(result, ipb.ConnectionTestResult):
            assert result.outcome != ipb.CONNECTION_TEST_OUTCOME_OK, result
        assert not any(victim_secret in request for request in third_party.seen), \
            "the moved ciphertext was decrypted and sent"
        hits = scan([victim_secret], transcript, caplog.records, stack)
        assert not [hit for hit in hits if not hit.startswith("database")], hits
        print(f"moved ciphertext ({stack.kind}): {transcript.codes}")
    finally:
        third_party.close()


def test_scan_finds_a_planted_canary(tmp_path):
    """The scanner itself can fail: a value planted in a log record and a response is found."""
    planted = f"planted-{uuid.uuid4().hex}"
    transcript = Transcript()
    transcript.texts.append(f"message with {planted}")
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "value %s", (planted,), None)

    class _Stack:
        kind = "sqlite"
        database_url = f"sqlite:///{tmp_path / 'none.db'}"

    hits = scan([planted], transcript, [record], _Stack())  # type: ignore[arg-type]
    assert len(hits) == 2, hits
    assert os.path.exists(tmp_path)


# --- template positions, other origins, values HTTP cannot carry, moved destinations (issue 13) ----

# The secret sits in the base URL's path and in a header; the test request goes to a server that
# redirects (keeping path and query) to another origin.
TEMPLATE_SPECS = {
    "path": """\
deployAs:
  - name: service-app
    applicationType: service
    endpoint: /service
    configuration:
      standardConfiguration:
        - {key: HOST, description: Host and port}
      securedConfiguration:
        - {key: API_TOKEN, description: API token}
        - {key: PASSWORD, description: Password}
connection:
  baseUrl: "http://{HOST}/{API_TOKEN}/v1"
  authentication: {type: none}
  testRequest: {method: GET, path: /ping, expectedStatus: [200], headers: {X-Token: "Token {PASSWORD}"}}
""",
    "header": """\
deployAs:
  - name: service-app
    applicationType: service
    endpoint: /service
    configuration:
      standardConfiguration:
        - {key: HOST, description: Host and port}
      securedConfiguration:
        - {key: API_TOKEN, description: API token}
        - {key: PASSWORD, description: Password}
connection:
  baseUrl: "http://{HOST}"
  authentication: {type: none}
  testRequest:
    method: GET
    path: /ping
    expectedStatus: [200]
    headers: {Authorization: "Bearer {API_TOKEN}", X-Token: "{PASSWORD}"}
""",
}


class Redirector(ThirdParty):
    """Answers every request with 302 to ``to`` + the same path and query (a server that moved)."""

    def __init__(self, to: str) -> None:
        seen = self.seen = []  # type: list[str]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                seen.append(f"{self.path}\n{self.headers}")
                self.send_response(302)
                self.send_header("Location", f"http://{to}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


def test_secret_template_parts_never_reach_another_origin_a_message_or_the_database(canary_stack, caplog):
    """Issue 13.1, 13.6, 13.9, 13.10 on the whole stack: secrets with # and ? in a URL path, secrets in
    headers behind a cross-origin redirect, a secret HTTP cannot carry, a host moved without the secrets."""
    from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
    from tests.instance.helpers import publish

    stack = canary_stack
    caplog.set_level(logging.DEBUG)
    run = uuid.uuid4().hex
    fragments = {name: [f"cnry{name}{i}{run[:12]}" for i in range(3)] for name in ("path", "header", "ascii")}
    path_token = f"{fragments['path'][0]}#{fragments['path'][1]}?{fragments['path'][2]}"
    header_token, header_password = fragments["header"][0], fragments["header"][1]
    non_ascii = f"{fragments['ascii'][0]}€{fragments['ascii'][1]}"
    other = ThirdParty()
    origin = Redirector(other.host)
    transcript = Transcript()
    try:
        catalog = cgrpc.CatalogServiceStub(stack.catalog.channel)
        keys = {name: f"tmpl-{name}-{run[:8]}" for name in TEMPLATE_SPECS}
        for name, spec in TEMPLATE_SPECS.items():
            publish(catalog, stack.project, keys[name], spec=spec)
        stub = igrpc.InstanceServiceStub(stack.gateway.channel)
        project, call = stack.project, transcript.call

        def probe(name: str, key: str, secrets: dict[str, str], host: str) -> ipb.ConnectionTestResult | None:
            created = call(f"{name} create", lambda: create_instance(
                stub, project, key, f"tmpl {name}", secrets=secrets, plain={"HOST": host}))
            assert isinstance(created, ipb.Instance), transcript.codes
            result = call(f"{name} test", lambda: stub.TestInstanceConnection(
                ispb.TestInstanceConnectionRequest(project=project, id=created.id), timeout=15))
            call(f"{name} tests", lambda: stub.ListConnectionTests(
                ispb.ListConnectionTestsRequest(project=project, instance_id=created.id)))
            moved = call(f"{name} move host", lambda: stub.UpdateInstance(ispb.UpdateInstanceRequest(
                project=project, instance=ipb.Instance(id=created.id, version=created.version, variables=[
                    ipb.Variable(key="HOST", value=other.host)]),
                update_mask=field_mask_pb2.FieldMask(paths=["variables"]))))
            assert moved is None and transcript.codes[-1].endswith("FAILED_PRECONDITION"), transcript.codes
            return result  # type: ignore[return-value]

        by_path = probe("path", keys["path"], {"API_TOKEN": path_token, "PASSWORD": header_password}, origin.host)
        assert by_path is not None and by_path.outcome == ipb.CONNECTION_TEST_OUTCOME_UNEXPECTED_RESPONSE, by_path
        by_header = probe("header", keys["header"], {"API_TOKEN": header_token, "PASSWORD": header_password},
                          origin.host)
        assert by_header is not None and by_header.outcome == ipb.CONNECTION_TEST_OUTCOME_OK, by_header
        unsendable = probe("ascii", keys["header"], {"API_TOKEN": non_ascii, "PASSWORD": "p"}, origin.host)
        assert unsendable is not None and unsendable.outcome == ipb.CONNECTION_TEST_OUTCOME_MISCONFIGURED

        # Positive controls: the origin received the secrets (the tests used them), and the other origin
        # received the header probe's redirected request (it was followed), without its headers.
        assert any(fragments["path"][0] in seen for seen in origin.seen)
        assert any(header_token in seen for seen in origin.seen)
        assert other.seen, "the cross-origin redirect was never followed: the scan proves nothing about it"
        leaked = [seen for seen in other.seen for part in (*fragments["path"], header_token, header_password)
                  if part in seen]
        assert not leaked, leaked
        hits = scan([part for parts in fragments.values() for part in parts], transcript, caplog.records, stack)
        assert not hits, hits[:10]
        print(f"template canary ({stack.kind}): {transcript.codes}, 0 hits")
    finally:
        origin.close()
        other.close()


# --- repository credentials (issue 13.2) -------------------------------------------------------------


@pytest.fixture(params=STORAGES)
def private_repo_stack(request, tmp_path) -> Iterator[tuple[Stack, object, str]]:  # type: ignore[no-untyped-def]
    """The stack, with a private https git repository (basic authentication) its catalog trusts."""
    from tests.catalog.git_https import bare_copy, serve_private_repos
    from tests.catalog.gitrepos import GOOD_FILES, make_repo

    run = uuid.uuid4().hex
    token = f"canary-repo-token-{run}"
    make_repo(tmp_path / "work", GOOD_FILES)
    bare_copy(tmp_path / "work", tmp_path / "served", "private.git")
    server = serve_private_repos(tmp_path / "served", "deploy", token, tmp_path / "tls")
    try:
        for url in storage_url(request.param, tmp_path, request):
            stack = start_stack(request.param, url, tmp_path, git_ca_file=str(server.ca_file),
                                catalog_reviewer_projects=("reviewers",))
            try:
                yield stack, server, token
            finally:
                stack.stop()
    finally:
        server.stop()


def test_repository_credentials_never_appear_in_responses_errors_logs_reports_or_the_database(
        private_repo_stack, caplog):
    """Repository credentials through every catalog path that takes or shows them, directly and through
    the gateway (gRPC and HTTP): refused URLs with the token in them, bad and stale updates carrying it,
    the write-only action, a publish that uses it (the private server saw it: positive control), the
    draft, its queue entry, the published connector, its versions; then the scan."""
    import base64

    import httpx

    from plugboard.catalog.v1 import catalog_service_pb2 as cpb
    from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
    from plugboard.catalog.v1 import certification_service_pb2 as certpb
    from plugboard.catalog.v1 import certification_service_pb2_grpc as certgrpc
    from plugboard.catalog.v1 import connector_staged_pb2 as spb
    from plugboard.catalog.v1 import update_actions_pb2 as apb
    from tests.catalog.gitrepos import publish_and_wait
    from tests.reliability.stack import gateway_key, keyed_channel

    stack, server, token = private_repo_stack
    caplog.set_level(logging.DEBUG)
    run = uuid.uuid4().hex
    ssh_key = f"-----BEGIN OPENSSH PRIVATE KEY-----\ncanarysshkey{run}\n-----END OPENSSH PRIVATE KEY-----\n"
    header = base64.b64encode(f"deploy:{token}".encode()).decode()
    Action = apb.ConnectorStagedUpdateAction
    https = Action(set_repository_credentials=Action.SetRepositoryCredentials(
        https=Action.SetRepositoryCredentials.HttpsToken(username="deploy", token=token)))
    transcript = Transcript()
    call, project = transcript.call, stack.project
    reviewer_channel = keyed_channel(stack.gateway.target, gateway_key(stack.settings, "reviewers"))
    try:
        for channel_name, channel in (("direct", stack.catalog.channel), ("gateway", stack.gateway.channel)):
            catalog = cgrpc.CatalogServiceStub(channel)
            url = server.url("private.git")  # type: ignore[attr-defined]
            key = f"private-{channel_name}-{run[:8]}"

            def create(repository_url: str) -> object | None:
                return call(f"{channel_name} create", lambda: catalog.CreateConnectorStaged(
                    cpb.CreateConnectorStagedRequest(project=project, draft=spb.ConnectorStagedDraft(
                        key=key, name="Private", documentation_url="https://example.com/docs",
                        creator=spb.Creator(email="v@example.com"), supported_regions=["europe-west1.gcp"],
                        repository=spb.Repository(url=repository_url, tag="v1.0.0")))))

            for refused in (f"https://deploy:{token}@127.0.0.1/private.git", f"https://{token}@github.com/x.git"):
                assert create(refused) is None and transcript.codes[-1].endswith("INVALID_ARGUMENT")
            draft = create(url)
            assert isinstance(draft, spb.ConnectorStaged), transcript.codes

            def update(*actions: apb.ConnectorStagedUpdateAction, version: int) -> object | None:
                return call(f"{channel_name} update", lambda: catalog.UpdateConnectorStaged(
                    cpb.UpdateConnectorStagedRequest(id=draft.id, version=version, project=project,
                                                     actions=list(actions))))

            update(Action(set_repository=Action.SetRepository(url=f"ssh://git:{token}@github.com/x.git", tag="v1")),
                   version=draft.version)
            update(Action(set_repository_credentials=Action.SetRepositoryCredentials(
                https=Action.SetRepositoryCredentials.HttpsToken(token=f"{token} x"))), version=draft.version)
            update(https, version=99)  # stale, with the token in the request
            with_key_set = update(Action(set_repository_credentials=Action.SetRepositoryCredentials(
                ssh=Action.SetRepositoryCredentials.SshKey(private_key=ssh_key))), version=draft.version)
            with_token = update(https, version=with_key_set.version)  # type: ignore[union-attr]
            assert isinstance(with_token, spb.ConnectorStaged), transcript.codes
            assert with_token.repository_credentials.fingerprint
            ready = publish_and_wait(catalog, with_token, certification=True, project=project)
            transcript.texts += [str(ready), ready.SerializeToString().decode("latin-1")]
            assert ready.status == spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION, ready.publishing_report
            reviewer = certgrpc.CertificationServiceStub(reviewer_channel)
            call(f"{channel_name} queue", lambda: reviewer.ListCertificationQueue(
                certpb.ListCertificationQueueRequest(limit=500)))
            started = call(f"{channel_name} start", lambda: reviewer.StartCertificationReview(
                certpb.StartCertificationReviewRequest(id=draft.id, version=ready.version)))
            call(f"{channel_name} approve", lambda: reviewer.ApproveCertification(
                certpb.ApproveCertificationRequest(id=draft.id, version=started.version)))  # type: ignore[union-attr]
            call(f"{channel_name} get", lambda: catalog.GetConnectorStaged(
                cpb.GetConnectorStagedRequest(id=draft.id, project=project)))
            call(f"{channel_name} query", lambda: catalog.QueryConnectorStaged(
                cpb.QueryConnectorStagedRequest(project=project, limit=500)))
            call(f"{channel_name} connector", lambda: catalog.GetConnector(
                cpb.GetConnectorRequest(id=draft.id, project=project)))
            call(f"{channel_name} marketplace", lambda: catalog.ListConnectors(
                cpb.ListConnectorsRequest(project="anyone-else", limit=500)))
            call(f"{channel_name} versions", lambda: catalog.ListConnectorVersions(
                cpb.ListConnectorVersionsRequest(connector_id=draft.id, project=project)))
        http_port = stack.gateway.served.http_port
        with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10,
                          headers={"Authorization": f"Bearer {stack.gateway_key}"}) as http:
            for path in ("/connectors/drafts?limit=500", "/connectors/search?limit=500"):
                answer = http.get(path)
                assert answer.status_code == 200
                transcript.texts.append(answer.text)
            refused = http.post("/connectors/drafts", json={"key": f"h-{run[:8]}", "name": "n",
                                "creator": {"email": "a@example.com"},
                                "repository": {"url": f"https://deploy:{token}@github.com/x.git", "tag": "v1"}})
            assert refused.status_code == 400
            transcript.texts.append(refused.text)

        # Positive controls: the private server received the credentials (the publish used them), and the
        # scan reads the database (the repository URL is there in the clear).
        assert any(seen.authorization == f"Basic {header}" for seen in server.seen)  # type: ignore[attr-defined]
        assert any(url.encode() in content for content in database_texts(stack).values())
        hits = scan([token, header, f"canarysshkey{run}"], transcript, caplog.records, stack)
        assert not hits, hits[:10]
        print(f"repository credentials canary ({stack.kind}): {len(transcript.codes)} calls, "
              f"{len(caplog.records)} log records, 0 hits")
    finally:
        reviewer_channel.close()
