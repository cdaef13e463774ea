"""Field rules of seed 002, each reporting into a ``Validator`` so that every wrong field is named at once.

Each ``check_*`` function takes the validator, the field path to report (for example
``actions[1].set_creator_email.creator_email``) and the value.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from plugboard.errors import Validator

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{2,256}$")
PRIVATE_PROJECT_PATTERN = re.compile(r"^[a-zA-Z0-9-_.]+:[a-zA-Z0-9-_]{2,36}$")
REGION_PATTERN = re.compile(r"^[a-z0-9-]+\.[a-z0-9]+$")
INTEGRATION_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SSH_URL_PATTERN = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._/-]+$")
TAG_PATTERN = re.compile(r"^[A-Za-z0-9._/+-]{1,255}$")
MAX_NAME = 256
MAX_TEXT = 4096
MAX_URL = 2048
MAX_LIST = 100
# Columns the create request writes besides the draft: varchar(128) (catalog_service/storage/models.py).
MAX_PROJECT = 128
MAX_REQUEST_ID = 128


def check_create_request(project: str, request_id: str) -> None:
    """CreateConnectorStaged's own fields (the draft's are checked by its use case): the creator project
    and the request id fit their columns, on every database; InvalidArgument naming each one."""
    v = Validator()
    v.check_max_length(project, "project", MAX_PROJECT)
    v.check_max_length(request_id, "request_id", MAX_REQUEST_ID)
    v.raise_if_any()


def check_key(v: Validator, path: str, key: str) -> None:
    v.require(bool(key), path, "is required")
    if key:
        v.require(
            bool(KEY_PATTERN.match(key)), path, "must be 2 to 256 characters matching ^[A-Za-z0-9_-]+$"
        )


def check_name(v: Validator, path: str, name: str) -> None:
    v.require(bool(name.strip()), path, "is required")
    v.require(len(name) <= MAX_NAME, path, f"must be at most {MAX_NAME} characters")


def check_text(v: Validator, path: str, text: str, limit: int = MAX_TEXT) -> None:
    v.require(len(text) <= limit, path, f"must be at most {limit} characters")


def check_http_url(v: Validator, path: str, url: str) -> None:
    """An optional http(s) URL: empty, or absolute with a host."""
    if not url:
        return
    parts = urlsplit(url)
    v.require(
        len(url) <= MAX_URL and parts.scheme in ("http", "https") and bool(parts.hostname),
        path,
        "must be an absolute http or https URL",
    )


def check_email(v: Validator, path: str, email: str) -> None:
    if email:
        v.require(len(email) <= 254 and bool(EMAIL_PATTERN.match(email)), path, "must be an email address")


def check_repository_url(v: Validator, path: str, url: str) -> None:
    """A repository URL: https://host/path, ssh://[user@]host/path, user@host:path, or file:///path.

    A URL never carries credentials: an https or file URL has no user information at all, an ssh URL at
    most its login user (``git@host:repo``, ``ssh://git@host/repo``), never a password. Credentials go
    through ``setRepositoryCredentials``, write-only and encrypted at rest."""
    v.require(bool(url), path, "is required")
    if not url:
        return
    if SSH_URL_PATTERN.match(url):
        return
    parts = urlsplit(url)
    if "@" in parts.netloc and parts.scheme in ("https", "ssh", "file", "http"):
        user, colon, _ = parts.netloc.rpartition("@")[0].partition(":")
        if parts.scheme != "ssh" or colon or not user:
            v.add(path, CREDENTIALS_IN_URL)
            return
    ok = len(url) <= MAX_URL and (
        (parts.scheme in ("https", "ssh") and bool(parts.hostname) and len(parts.path) > 1)
        or (parts.scheme == "file" and len(parts.path) > 1)
    )
    v.require(ok, path, "must be an https, ssh (user@host:path or ssh://) or file URL of a git repository")


CREDENTIALS_IN_URL = ("must not contain credentials (user information such as user:token@); set them with "
                      "the setRepositoryCredentials update action")


def without_credentials(url: str) -> str:
    """``url`` with any user information a URL may not carry removed (an ssh login user stays):
    ``https://user:token@host/x`` -> ``https://host/x``, ``ssh://git:pw@host/x`` -> ``ssh://git@host/x``."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    netloc = f"{user}@{host}" if parts.scheme.lower() == "ssh" and user else host
    return parts._replace(netloc=netloc).geturl()


def check_tag(v: Validator, path: str, tag: str) -> None:
    v.require(bool(tag), path, "is required")
    if tag:
        v.require(
            bool(TAG_PATTERN.match(tag)) and not tag.startswith("-") and ".." not in tag,
            path,
            "must be a git tag name",
        )


def check_regions(v: Validator, path: str, regions: tuple[str, ...], *, at_least_one: bool) -> None:
    if at_least_one:
        v.require(len(regions) >= 1, path, "must contain at least one region")
    _check_list(v, path, regions, REGION_PATTERN, 'must be a region such as "europe-west1.gcp"')


def check_integration_types(v: Validator, path: str, types: tuple[str, ...]) -> None:
    _check_list(v, path, types, INTEGRATION_TYPE_PATTERN, 'must be lower-case words joined by "-"')


def check_private_project(v: Validator, path: str, project: str) -> None:
    v.require(
        bool(PRIVATE_PROJECT_PATTERN.match(project)),
        path,
        "must match ^[a-zA-Z0-9-_.]+:[a-zA-Z0-9-_]{2,36}$ (\"<region>:<project-key>\")",
    )


def check_private_projects(v: Validator, path: str, projects: tuple[str, ...]) -> None:
    v.require(len(projects) <= MAX_LIST, path, f"must have at most {MAX_LIST} entries")
    for index, project in enumerate(projects[:MAX_LIST]):
        check_private_project(v, f"{path}[{index}]", project)


def check_no_of_contributors(v: Validator, path: str, count: int, *, required: bool) -> None:
    if required or count:
        v.require(1 <= count <= 10_000_000, path, "must be at least 1")


def _check_list(v: Validator, path: str, items: tuple[str, ...], pattern: re.Pattern[str], what: str) -> None:
    v.require(len(items) <= MAX_LIST, path, f"must have at most {MAX_LIST} entries")
    seen: set[str] = set()
    for index, item in enumerate(items[:MAX_LIST]):
        v.require(bool(pattern.match(item)), f"{path}[{index}]", what)
        v.require(item not in seen, f"{path}[{index}]", "is repeated")
        seen.add(item)


MAX_MEDIA = 20


def check_media(v: Validator, path: str, media: tuple) -> None:  # tuple[MediaLink, ...]
    """Screenshots and demo videos: at most ``MAX_MEDIA``, each typed, with an http(s) URL and a short title."""
    v.require(len(media) <= MAX_MEDIA, path, f"must hold at most {MAX_MEDIA} links")
    for index, link in enumerate(media[:MAX_MEDIA]):
        item = f"{path}[{index}]"
        v.require(link.type is not None, f"{item}.type", "must be SCREENSHOT or DEMO_VIDEO")
        v.require(bool(link.url), f"{item}.url", "is required")
        check_http_url(v, f"{item}.url", link.url)
        check_text(v, f"{item}.title", link.title, MAX_NAME)
