"""The catalog's domain objects: drafts, published versions, connectors and their specification.

Plain frozen dataclasses; changing one means building a new one with ``dataclasses.replace``. Enum
values are the seed's own spellings ("Draft", "ReadyForCertification", "pending", "Information").
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime


class Status(str, enum.Enum):
    """ConnectorStatus of seed 002."""

    DRAFT = "Draft"
    PROCESSING = "Processing"
    READY_FOR_CERTIFICATION = "ReadyForCertification"
    IN_CERTIFICATION = "InCertification"
    PUBLISHED = "Published"
    FAILED = "Failed"


class Previewable(str, enum.Enum):
    """IsPreviewable of seed 002."""

    NONE = "none"
    PENDING = "pending"
    TRUE = "true"
    FALSE = "false"


class EntryType(str, enum.Enum):
    """ConnectorReportEntryType of seed 002."""

    INFORMATION = "Information"
    WARNING = "Warning"
    ERROR = "Error"


class Lifecycle(str, enum.Enum):
    """Lifecycle state of a published connector (the deletion protocol's compare-and-swap target)."""

    ACTIVE = "ACTIVE"
    DELETING = "DELETING"


@dataclass(frozen=True)
class Creator:
    name: str = ""
    title: str = ""
    email: str = ""
    company: str = ""
    logo_url: str = ""
    no_of_contributors: int = 0  # 0: not set
    support_url: str = ""


@dataclass(frozen=True)
class Repository:
    url: str = ""
    tag: str = ""


@dataclass(frozen=True)
class RepositoryCredentials:
    """A draft's repository credentials as stored: their type ("https" or "ssh"), a fingerprint that tells
    values apart without revealing them, and the ciphertext (``credentials.CredentialVault``). Never the
    plaintext; never part of a published version or of any response."""

    type: str
    fingerprint: str
    sealed: bytes = field(repr=False)


@dataclass(frozen=True)
class ReportEntry:
    type: EntryType
    title: str
    message: str
    created_at: datetime
    application: str = ""


@dataclass(frozen=True)
class Comment:
    user_id: str
    datetime: datetime
    comment: str
    meeting_time: datetime | None = None  # a review meeting's scheduled time (seed 000, step 4)


class MediaType(str, enum.Enum):
    SCREENSHOT = "screenshot"
    DEMO_VIDEO = "demoVideo"


@dataclass(frozen=True)
class MediaLink:
    """A screenshot or demo video of the connector (seed 000, step 3)."""

    type: MediaType
    url: str
    title: str = ""


@dataclass(frozen=True)
class SupportContact:
    """Contact information for the developer or support team (seed 000, step 3)."""

    email: str = ""
    url: str = ""


@dataclass(frozen=True)
class StandardKey:
    key: str
    description: str = ""
    default: str = ""
    required: bool = False


@dataclass(frozen=True)
class SecuredKey:
    key: str
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class HealthCheck:
    """``healthCheck`` of a service or event application; 0 means the platform's default."""

    path: str
    interval_seconds: int = 0
    timeout_seconds: int = 0
    unhealthy_threshold: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    """``retryPolicy`` of an event application: ``immediate`` or ``exponential-backoff`` (0: not set)."""

    strategy: str
    min_backoff_seconds: int = 0
    max_backoff_seconds: int = 0
    max_attempts: int = 0


@dataclass(frozen=True)
class Application:
    """One ``deployAs`` entry of connect.yaml; fields its type does not have stay empty."""

    name: str
    type: str
    standard: tuple[StandardKey, ...] = ()
    secured: tuple[SecuredKey, ...] = ()
    endpoint: str = ""  # service, event, job (and the format's "unknown" type)
    post_deploy: str = ""  # scripts.postDeploy
    pre_undeploy: str = ""  # scripts.preUndeploy
    schedule: str = ""  # job: properties.schedule, cron syntax
    health_check: HealthCheck | None = None  # service, event
    retry_policy: RetryPolicy | None = None  # event


@dataclass(frozen=True)
class Authentication:
    type: str = "none"  # none, api_key_header, api_key_query, basic, bearer, oauth2_client_credentials
    parameter_name: str = ""
    api_key_variable: str = ""
    username_variable: str = ""
    password_variable: str = ""
    token_variable: str = ""
    token_url_template: str = ""
    client_id_variable: str = ""
    client_secret_variable: str = ""
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestRequest:
    __test__ = False  # not a pytest test class
    method: str = "GET"
    path: str = ""
    expected_status: tuple[int, ...] = (200,)
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Connection:
    base_url_template: str
    authentication: Authentication = field(default_factory=Authentication)
    test_request: TestRequest = field(default_factory=TestRequest)


@dataclass(frozen=True)
class Specification:
    """What connect.yaml says, validated: applications, global configuration, connection, API client."""

    applications: tuple[Application, ...] = ()
    global_standard: tuple[StandardKey, ...] = ()
    global_secured: tuple[SecuredKey, ...] = ()
    connection: Connection | None = None
    api_client_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A ConnectorStaged."""

    id: str
    key: str
    version: int
    name: str
    created_at: datetime
    updated_at: datetime
    creator_project: str = ""
    description: str = ""
    integration_types: tuple[str, ...] = ()
    creator: Creator = field(default_factory=Creator)
    repository: Repository = field(default_factory=Repository)
    specification: Specification = field(default_factory=Specification)
    private: bool = True
    private_projects: tuple[str, ...] = ()
    supported_regions: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()
    status: Status = Status.DRAFT
    publishing_report: tuple[ReportEntry, ...] | None = None
    already_listed: bool = False
    is_previewable: Previewable = Previewable.NONE
    previewable_report: tuple[ReportEntry, ...] | None = None
    documentation_url: str = ""
    certified: bool = False
    published_version: int = 0
    published_hash: str = ""  # content_hash() of the latest published version; "" before the first
    submitted_at: datetime | None = None  # when the draft last entered ReadyForCertification
    media: tuple[MediaLink, ...] = ()
    support_contact: SupportContact = field(default_factory=SupportContact)
    declaration_of_intent: str = ""
    preview_number: int = 0  # the last granted preview's number (counted apart from published versions)
    preview: PublishedVersion | None = None  # that preview's snapshot; usable while isPreviewable is true
    repository_credentials: RepositoryCredentials | None = None  # write-only, encrypted; see credentials

    @property
    def has_changes(self) -> bool:
        """True when the draft differs from its latest published version (seed 002's hasChanges)."""
        return bool(self.published_hash) and self.published_hash != content_hash(self)


CONTENT_FIELDS = (
    "key",
    "name",
    "description",
    "integration_types",
    "creator",
    "repository",
    "private_projects",
    "supported_regions",
    "documentation_url",
)


OPTIONAL_CONTENT_FIELDS = ("media", "support_contact", "declaration_of_intent")


def content_hash(draft: Draft) -> str:
    """A digest of the fields a publish snapshots, to tell whether the draft changed since."""
    content = {name: _plain(getattr(draft, name)) for name in CONTENT_FIELDS}
    for name in OPTIONAL_CONTENT_FIELDS:  # in the digest only when set: older digests stay valid
        value = getattr(draft, name)
        if value and value != SupportContact():
            content[name] = _plain(value)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _plain(value: object) -> object:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)  # type: ignore[arg-type]
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True)
class PublishedVersion:
    """An immutable, numbered snapshot of a draft with the specification it was published with."""

    connector_id: str
    number: int
    key: str
    name: str
    description: str
    integration_types: tuple[str, ...]
    creator: Creator
    repository: Repository
    supported_regions: tuple[str, ...]
    private_projects: tuple[str, ...]
    documentation_url: str
    specification: Specification
    certified: bool
    draft_version: int
    published_at: datetime
    preview: bool = False  # a preview of the draft (``number`` is the preview number), not a published version


@dataclass(frozen=True)
class Connector:
    """A published connector: identity, lifecycle state, visibility and its latest version."""

    id: str
    key: str
    lifecycle: Lifecycle
    listed: bool
    certified: bool
    private: bool
    creator_project: str
    created_at: datetime
    updated_at: datetime
    latest: PublishedVersion

    def visible_to(self, project: str) -> bool:
        """Whether ``project`` may find and newly use the connector (``visible``, the one rule)."""
        return visible(project, creator_project=self.creator_project, private=self.private, listed=self.listed,
                       private_projects=self.latest.private_projects)


def project_key(project: str) -> str:
    """A project's key: "<region>:<key>" and "<key>" name the same project."""
    return project.split(":", 1)[-1]


def spellings(project: str) -> tuple[str, ...]:
    """The spellings ``project`` is matched by: itself and its key."""
    return tuple(sorted({project, project_key(project)}))


def is_creator(project: str, creator_project: str) -> bool:
    """A trusted caller (no project) or the connector's creator project."""
    return not project or creator_project in spellings(project)


def project_in(project: str, private_projects: tuple[str, ...]) -> bool:
    """Whether ``project`` (a project key, or "<region>:<key>") is among ``private_projects``."""
    key = project_key(project)
    return any(project_key(entry) == key for entry in private_projects)


def visible(project: str, *, creator_project: str, private: bool, listed: bool,
            private_projects: tuple[str, ...]) -> bool:
    """THE visibility rule of a published connector, for GetConnector, CheckConnectorUsable and the
    marketplace (``storage.repository.list_connectors`` states the same rule in SQL; a test holds them
    together): a trusted caller (no project) and the creator see it; a private connector is seen by its
    privateProjects, listed or not; a public one by everyone while it is listed.

    Visibility decides who can find and newly use a connector; an instance that exists keeps resolving the
    version it uses (``offered``)."""
    if is_creator(project, creator_project):
        return True
    if private:
        return project_in(project, private_projects)
    return listed


def offered(version: "PublishedVersion", project: str, creator_project: str) -> bool:
    """Whether ``version`` was ever offered to ``project``: a certified version was public; a private one
    was offered to its own privateProjects. A project with an existing use of the connector keeps resolving
    such versions whatever listing and privacy do later (seed 002, Unlist: "This update action does not
    affect deployed instances of the Connector")."""
    if is_creator(project, creator_project):
        return True
    return version.certified or project_in(project, version.private_projects)
