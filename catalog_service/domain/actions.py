"""The update actions of seed 002 and their validation.

The set-a-field actions are declared once, in ``SET_ACTIONS``: for each action (its name in the
protobuf oneof) the fields of its message, the draft attribute each one sets and the check it must pass.
Conversion (``transport.convert``), validation (``validate_actions``) and application
(``drafts.apply_actions``) all follow that table, so a new set-a-field action is one row. The actions that
change state (publish, preview, unlist, certification comments, private projects) are classes of their own.

``validate_actions`` reports every wrong field of every action at once, with paths such as
``actions[2].set_name.name``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plugboard.errors import Validator

from . import credentials as creds
from . import validation as rules
from .model import RepositoryCredentials

Check = Callable[[Validator, str, Any], None]


@dataclass(frozen=True)
class Field:
    """One field of a set action's message: the draft attribute it sets (dotted when nested) and its check;
    ``keep_when_empty``: an empty value leaves the attribute as it is (``setRepository`` with only a tag
    keeps the URL, as commercetools' SDK sends it)."""

    name: str
    target: str
    check: Check
    keep_when_empty: bool = False


def _short_text(v: Validator, path: str, text: str) -> None:
    rules.check_text(v, path, text, rules.MAX_NAME)


SET_ACTIONS: dict[str, tuple[Field, ...]] = {
    "set_name": (Field("name", "name", rules.check_name),),
    "set_description": (Field("description", "description", rules.check_text),),
    "set_repository": (Field("url", "repository.url", rules.check_repository_url, keep_when_empty=True),
                       Field("tag", "repository.tag", rules.check_tag)),
    "set_supported_regions": (Field(
        "regions", "supported_regions",
        lambda v, path, regions: rules.check_regions(v, path, regions, at_least_one=True)),),
    "set_documentation_url": (Field("documentation_url", "documentation_url", rules.check_http_url),),
    "set_integration_types": (Field("integration_types", "integration_types", rules.check_integration_types),),
    "set_creator_name": (Field("creator_name", "creator.name", _short_text),),
    "set_creator_title": (Field("creator_title", "creator.title", _short_text),),
    "set_creator_email": (Field("creator_email", "creator.email", rules.check_email),),
    "set_creator_company": (Field("creator_company", "creator.company", _short_text),),
    "set_creator_no_of_contributors": (Field(
        "creator_no_of_contributors", "creator.no_of_contributors",
        lambda v, path, count: rules.check_no_of_contributors(v, path, count, required=True)),),
    "set_creator_support_url": (Field("creator_support_url", "creator.support_url", rules.check_http_url),),
    "set_creator_logo": (Field("creator_logo_url", "creator.logo_url", rules.check_http_url),),
    # Seed 000, step 3 ("Screenshots or demo videos", "Contact information for the developer or support
    # team") and step 1 (the declaration of intent).
    "set_media": (Field("media", "media", rules.check_media),),
    "set_support_contact": (Field("email", "support_contact.email", rules.check_email),
                            Field("url", "support_contact.url", rules.check_http_url)),
    "set_declaration_of_intent": (Field("declaration_of_intent", "declaration_of_intent", rules.check_text),),
}


@dataclass(frozen=True)
class SetField:
    """A set action of ``SET_ACTIONS``: its name and its message's values, in the table's field order."""

    action: str
    values: tuple[Any, ...]

    def assignments(self) -> list[tuple[Field, Any]]:
        return list(zip(SET_ACTIONS[self.action], self.values))


def set_field(action: str, **values: Any) -> SetField:
    """``set_field("set_name", name="New name")``: a set action from its message's fields by name."""
    fields = SET_ACTIONS[action]
    if set(values) != {field.name for field in fields}:
        raise TypeError(f"{action} takes {', '.join(field.name for field in fields)}")
    return SetField(action, tuple(values[field.name] for field in fields))


@dataclass(frozen=True)
class AddPrivateProject:
    private_project: str


@dataclass(frozen=True)
class RemovePrivateProject:
    private_project: str


@dataclass(frozen=True)
class UpdatePreviewable:
    pass


@dataclass(frozen=True)
class Publish:
    certification: bool


@dataclass(frozen=True)
class Unlist:
    pass


@dataclass(frozen=True)
class AddCertificationComment:
    comment: str


@dataclass(frozen=True)
class SetRepositoryCredentials:
    """Set (or, with None, remove) the draft's repository credentials. The use case seals them
    (``credentials.CredentialVault``) into ``sealed`` before the action is applied."""

    credentials: creds.GitCredentials | None
    sealed: RepositoryCredentials | None = None


Action = (
    SetField
    | AddPrivateProject
    | RemovePrivateProject
    | UpdatePreviewable
    | Publish
    | Unlist
    | AddCertificationComment
    | SetRepositoryCredentials
)

# Actions that change the draft's content; refused while a publish is processing or in certification.
CONTENT_ACTIONS = (SetField, AddPrivateProject, RemovePrivateProject)

MAX_ACTIONS = 100


def validate_actions(v: Validator, actions: list[Action | None], names: list[str]) -> None:
    """Report every invalid field of every action. ``names[i]`` is action i's field name in the oneof."""
    v.require(len(actions) >= 1, "actions", "must contain at least one action")
    v.require(len(actions) <= MAX_ACTIONS, "actions", f"must contain at most {MAX_ACTIONS} actions")
    for index, (action, name) in enumerate(zip(actions, names)):
        path = f"actions[{index}]"
        if action is None:
            v.add(path, "must set exactly one action")
            continue
        _validate_one(v, f"{path}.{name}", action)


def _validate_one(v: Validator, path: str, action: Action) -> None:
    match action:
        case SetField():
            for field, value in action.assignments():
                if not (field.keep_when_empty and not value):
                    field.check(v, f"{path}.{field.name}", value)
        case AddPrivateProject(private_project=project) | RemovePrivateProject(private_project=project):
            rules.check_private_project(v, f"{path}.private_project", project)
        case AddCertificationComment(comment=comment):
            v.require(bool(comment.strip()), f"{path}.comment", "is required")
            rules.check_text(v, f"{path}.comment", comment)
        case SetRepositoryCredentials(credentials=credentials):
            creds.validate(v, path, credentials)
        case UpdatePreviewable() | Publish() | Unlist():
            pass
