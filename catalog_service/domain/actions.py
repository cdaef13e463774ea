"""The update actions of seed 002, one dataclass each, and their validation.

The transport layer turns each protobuf action into one of these; ``validate_actions`` reports every
wrong field of every action at once, with paths such as ``actions[2].set_name.name``.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugboard.errors import Validator

from . import validation as rules


@dataclass(frozen=True)
class SetName:
    name: str


@dataclass(frozen=True)
class SetDescription:
    description: str


@dataclass(frozen=True)
class SetRepository:
    url: str
    tag: str


@dataclass(frozen=True)
class SetSupportedRegions:
    regions: tuple[str, ...]


@dataclass(frozen=True)
class SetDocumentationUrl:
    documentation_url: str


@dataclass(frozen=True)
class SetIntegrationTypes:
    integration_types: tuple[str, ...]


@dataclass(frozen=True)
class SetCreatorName:
    creator_name: str


@dataclass(frozen=True)
class SetCreatorTitle:
    creator_title: str


@dataclass(frozen=True)
class SetCreatorEmail:
    creator_email: str


@dataclass(frozen=True)
class SetCreatorCompany:
    creator_company: str


@dataclass(frozen=True)
class SetCreatorNoOfContributors:
    creator_no_of_contributors: int


@dataclass(frozen=True)
class SetCreatorSupportUrl:
    creator_support_url: str


@dataclass(frozen=True)
class SetCreatorLogo:
    creator_logo_url: str


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


Action = (
    SetName
    | SetDescription
    | SetRepository
    | SetSupportedRegions
    | SetDocumentationUrl
    | SetIntegrationTypes
    | SetCreatorName
    | SetCreatorTitle
    | SetCreatorEmail
    | SetCreatorCompany
    | SetCreatorNoOfContributors
    | SetCreatorSupportUrl
    | SetCreatorLogo
    | AddPrivateProject
    | RemovePrivateProject
    | UpdatePreviewable
    | Publish
    | Unlist
    | AddCertificationComment
)

# Actions that change the draft's content; refused while a publish is processing or in certification.
CONTENT_ACTIONS = (
    SetName,
    SetDescription,
    SetRepository,
    SetSupportedRegions,
    SetDocumentationUrl,
    SetIntegrationTypes,
    SetCreatorName,
    SetCreatorTitle,
    SetCreatorEmail,
    SetCreatorCompany,
    SetCreatorNoOfContributors,
    SetCreatorSupportUrl,
    SetCreatorLogo,
    AddPrivateProject,
    RemovePrivateProject,
)

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
        case SetName(name=name):
            rules.check_name(v, f"{path}.name", name)
        case SetDescription(description=text):
            rules.check_text(v, f"{path}.description", text)
        case SetRepository(url=url, tag=tag):
            if url:  # empty: the current URL stays
                rules.check_repository_url(v, f"{path}.url", url)
            rules.check_tag(v, f"{path}.tag", tag)
        case SetSupportedRegions(regions=regions):
            rules.check_regions(v, f"{path}.regions", regions, at_least_one=True)
        case SetDocumentationUrl(documentation_url=url):
            rules.check_http_url(v, f"{path}.documentation_url", url)
        case SetIntegrationTypes(integration_types=types):
            rules.check_integration_types(v, f"{path}.integration_types", types)
        case SetCreatorName(creator_name=text):
            rules.check_text(v, f"{path}.creator_name", text, rules.MAX_NAME)
        case SetCreatorTitle(creator_title=text):
            rules.check_text(v, f"{path}.creator_title", text, rules.MAX_NAME)
        case SetCreatorEmail(creator_email=email):
            rules.check_email(v, f"{path}.creator_email", email)
        case SetCreatorCompany(creator_company=text):
            rules.check_text(v, f"{path}.creator_company", text, rules.MAX_NAME)
        case SetCreatorNoOfContributors(creator_no_of_contributors=count):
            rules.check_no_of_contributors(v, f"{path}.creator_no_of_contributors", count, required=True)
        case SetCreatorSupportUrl(creator_support_url=url):
            rules.check_http_url(v, f"{path}.creator_support_url", url)
        case SetCreatorLogo(creator_logo_url=url):
            rules.check_http_url(v, f"{path}.creator_logo_url", url)
        case AddPrivateProject(private_project=project) | RemovePrivateProject(private_project=project):
            rules.check_private_project(v, f"{path}.private_project", project)
        case AddCertificationComment(comment=comment):
            v.require(bool(comment.strip()), f"{path}.comment", "is required")
            rules.check_text(v, f"{path}.comment", comment)
        case UpdatePreviewable() | Publish() | Unlist():
            pass
