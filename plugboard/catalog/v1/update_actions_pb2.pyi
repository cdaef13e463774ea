from plugboard.catalog.v1 import connector_staged_pb2 as _connector_staged_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConnectorStagedUpdateAction(_message.Message):
    __slots__ = ("set_name", "set_description", "set_repository", "set_supported_regions", "set_documentation_url", "set_integration_types", "set_creator_name", "set_creator_title", "set_creator_email", "set_creator_company", "set_creator_no_of_contributors", "set_creator_support_url", "set_creator_logo", "add_private_project", "remove_private_project", "update_previewable", "publish", "unlist", "add_certification_comment", "set_repository_credentials", "set_media", "set_support_contact", "set_declaration_of_intent")
    class SetName(_message.Message):
        __slots__ = ("name",)
        NAME_FIELD_NUMBER: _ClassVar[int]
        name: str
        def __init__(self, name: _Optional[str] = ...) -> None: ...
    class SetDescription(_message.Message):
        __slots__ = ("description",)
        DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
        description: str
        def __init__(self, description: _Optional[str] = ...) -> None: ...
    class SetRepository(_message.Message):
        __slots__ = ("url", "tag")
        URL_FIELD_NUMBER: _ClassVar[int]
        TAG_FIELD_NUMBER: _ClassVar[int]
        url: str
        tag: str
        def __init__(self, url: _Optional[str] = ..., tag: _Optional[str] = ...) -> None: ...
    class SetSupportedRegions(_message.Message):
        __slots__ = ("regions",)
        REGIONS_FIELD_NUMBER: _ClassVar[int]
        regions: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, regions: _Optional[_Iterable[str]] = ...) -> None: ...
    class SetDocumentationUrl(_message.Message):
        __slots__ = ("documentation_url",)
        DOCUMENTATION_URL_FIELD_NUMBER: _ClassVar[int]
        documentation_url: str
        def __init__(self, documentation_url: _Optional[str] = ...) -> None: ...
    class SetIntegrationTypes(_message.Message):
        __slots__ = ("integration_types",)
        INTEGRATION_TYPES_FIELD_NUMBER: _ClassVar[int]
        integration_types: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, integration_types: _Optional[_Iterable[str]] = ...) -> None: ...
    class SetCreatorName(_message.Message):
        __slots__ = ("creator_name",)
        CREATOR_NAME_FIELD_NUMBER: _ClassVar[int]
        creator_name: str
        def __init__(self, creator_name: _Optional[str] = ...) -> None: ...
    class SetCreatorTitle(_message.Message):
        __slots__ = ("creator_title",)
        CREATOR_TITLE_FIELD_NUMBER: _ClassVar[int]
        creator_title: str
        def __init__(self, creator_title: _Optional[str] = ...) -> None: ...
    class SetCreatorEmail(_message.Message):
        __slots__ = ("creator_email",)
        CREATOR_EMAIL_FIELD_NUMBER: _ClassVar[int]
        creator_email: str
        def __init__(self, creator_email: _Optional[str] = ...) -> None: ...
    class SetCreatorCompany(_message.Message):
        __slots__ = ("creator_company",)
        CREATOR_COMPANY_FIELD_NUMBER: _ClassVar[int]
        creator_company: str
        def __init__(self, creator_company: _Optional[str] = ...) -> None: ...
    class SetCreatorNoOfContributors(_message.Message):
        __slots__ = ("creator_no_of_contributors",)
        CREATOR_NO_OF_CONTRIBUTORS_FIELD_NUMBER: _ClassVar[int]
        creator_no_of_contributors: int
        def __init__(self, creator_no_of_contributors: _Optional[int] = ...) -> None: ...
    class SetCreatorSupportUrl(_message.Message):
        __slots__ = ("creator_support_url",)
        CREATOR_SUPPORT_URL_FIELD_NUMBER: _ClassVar[int]
        creator_support_url: str
        def __init__(self, creator_support_url: _Optional[str] = ...) -> None: ...
    class SetCreatorLogo(_message.Message):
        __slots__ = ("creator_logo_url",)
        CREATOR_LOGO_URL_FIELD_NUMBER: _ClassVar[int]
        creator_logo_url: str
        def __init__(self, creator_logo_url: _Optional[str] = ...) -> None: ...
    class AddPrivateProject(_message.Message):
        __slots__ = ("private_project",)
        PRIVATE_PROJECT_FIELD_NUMBER: _ClassVar[int]
        private_project: str
        def __init__(self, private_project: _Optional[str] = ...) -> None: ...
    class RemovePrivateProject(_message.Message):
        __slots__ = ("private_project",)
        PRIVATE_PROJECT_FIELD_NUMBER: _ClassVar[int]
        private_project: str
        def __init__(self, private_project: _Optional[str] = ...) -> None: ...
    class UpdatePreviewable(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class Publish(_message.Message):
        __slots__ = ("certification",)
        CERTIFICATION_FIELD_NUMBER: _ClassVar[int]
        certification: bool
        def __init__(self, certification: _Optional[bool] = ...) -> None: ...
    class Unlist(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class AddCertificationComment(_message.Message):
        __slots__ = ("comment",)
        COMMENT_FIELD_NUMBER: _ClassVar[int]
        comment: str
        def __init__(self, comment: _Optional[str] = ...) -> None: ...
    class SetRepositoryCredentials(_message.Message):
        __slots__ = ("https", "ssh")
        class HttpsToken(_message.Message):
            __slots__ = ("username", "token")
            USERNAME_FIELD_NUMBER: _ClassVar[int]
            TOKEN_FIELD_NUMBER: _ClassVar[int]
            username: str
            token: str
            def __init__(self, username: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...
        class SshKey(_message.Message):
            __slots__ = ("private_key",)
            PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
            private_key: str
            def __init__(self, private_key: _Optional[str] = ...) -> None: ...
        HTTPS_FIELD_NUMBER: _ClassVar[int]
        SSH_FIELD_NUMBER: _ClassVar[int]
        https: ConnectorStagedUpdateAction.SetRepositoryCredentials.HttpsToken
        ssh: ConnectorStagedUpdateAction.SetRepositoryCredentials.SshKey
        def __init__(self, https: _Optional[_Union[ConnectorStagedUpdateAction.SetRepositoryCredentials.HttpsToken, _Mapping]] = ..., ssh: _Optional[_Union[ConnectorStagedUpdateAction.SetRepositoryCredentials.SshKey, _Mapping]] = ...) -> None: ...
    class SetMedia(_message.Message):
        __slots__ = ("media",)
        MEDIA_FIELD_NUMBER: _ClassVar[int]
        media: _containers.RepeatedCompositeFieldContainer[_connector_staged_pb2.MediaLink]
        def __init__(self, media: _Optional[_Iterable[_Union[_connector_staged_pb2.MediaLink, _Mapping]]] = ...) -> None: ...
    class SetSupportContact(_message.Message):
        __slots__ = ("email", "url")
        EMAIL_FIELD_NUMBER: _ClassVar[int]
        URL_FIELD_NUMBER: _ClassVar[int]
        email: str
        url: str
        def __init__(self, email: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...
    class SetDeclarationOfIntent(_message.Message):
        __slots__ = ("declaration_of_intent",)
        DECLARATION_OF_INTENT_FIELD_NUMBER: _ClassVar[int]
        declaration_of_intent: str
        def __init__(self, declaration_of_intent: _Optional[str] = ...) -> None: ...
    SET_NAME_FIELD_NUMBER: _ClassVar[int]
    SET_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SET_REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    SET_SUPPORTED_REGIONS_FIELD_NUMBER: _ClassVar[int]
    SET_DOCUMENTATION_URL_FIELD_NUMBER: _ClassVar[int]
    SET_INTEGRATION_TYPES_FIELD_NUMBER: _ClassVar[int]
    SET_CREATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    SET_CREATOR_TITLE_FIELD_NUMBER: _ClassVar[int]
    SET_CREATOR_EMAIL_FIELD_NUMBER: _ClassVar[int]
    SET_CREATOR_COMPANY_FIELD_NUMBER: _ClassVar[int]
    SET_CREATOR_NO_OF_CONTRIBUTORS_FIELD_NUMBER: _ClassVar[int]
    SET_CREATOR_SUPPORT_URL_FIELD_NUMBER: _ClassVar[int]
    SET_CREATOR_LOGO_FIELD_NUMBER: _ClassVar[int]
    ADD_PRIVATE_PROJECT_FIELD_NUMBER: _ClassVar[int]
    REMOVE_PRIVATE_PROJECT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_PREVIEWABLE_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    UNLIST_FIELD_NUMBER: _ClassVar[int]
    ADD_CERTIFICATION_COMMENT_FIELD_NUMBER: _ClassVar[int]
    SET_REPOSITORY_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    SET_MEDIA_FIELD_NUMBER: _ClassVar[int]
    SET_SUPPORT_CONTACT_FIELD_NUMBER: _ClassVar[int]
    SET_DECLARATION_OF_INTENT_FIELD_NUMBER: _ClassVar[int]
    set_name: ConnectorStagedUpdateAction.SetName
    set_description: ConnectorStagedUpdateAction.SetDescription
    set_repository: ConnectorStagedUpdateAction.SetRepository
    set_supported_regions: ConnectorStagedUpdateAction.SetSupportedRegions
    set_documentation_url: ConnectorStagedUpdateAction.SetDocumentationUrl
    set_integration_types: ConnectorStagedUpdateAction.SetIntegrationTypes
    set_creator_name: ConnectorStagedUpdateAction.SetCreatorName
    set_creator_title: ConnectorStagedUpdateAction.SetCreatorTitle
    set_creator_email: ConnectorStagedUpdateAction.SetCreatorEmail
    set_creator_company: ConnectorStagedUpdateAction.SetCreatorCompany
    set_creator_no_of_contributors: ConnectorStagedUpdateAction.SetCreatorNoOfContributors
    set_creator_support_url: ConnectorStagedUpdateAction.SetCreatorSupportUrl
    set_creator_logo: ConnectorStagedUpdateAction.SetCreatorLogo
    add_private_project: ConnectorStagedUpdateAction.AddPrivateProject
    remove_private_project: ConnectorStagedUpdateAction.RemovePrivateProject
    update_previewable: ConnectorStagedUpdateAction.UpdatePreviewable
    publish: ConnectorStagedUpdateAction.Publish
    unlist: ConnectorStagedUpdateAction.Unlist
    add_certification_comment: ConnectorStagedUpdateAction.AddCertificationComment
    set_repository_credentials: ConnectorStagedUpdateAction.SetRepositoryCredentials
    set_media: ConnectorStagedUpdateAction.SetMedia
    set_support_contact: ConnectorStagedUpdateAction.SetSupportContact
    set_declaration_of_intent: ConnectorStagedUpdateAction.SetDeclarationOfIntent
    def __init__(self, set_name: _Optional[_Union[ConnectorStagedUpdateAction.SetName, _Mapping]] = ..., set_description: _Optional[_Union[ConnectorStagedUpdateAction.SetDescription, _Mapping]] = ..., set_repository: _Optional[_Union[ConnectorStagedUpdateAction.SetRepository, _Mapping]] = ..., set_supported_regions: _Optional[_Union[ConnectorStagedUpdateAction.SetSupportedRegions, _Mapping]] = ..., set_documentation_url: _Optional[_Union[ConnectorStagedUpdateAction.SetDocumentationUrl, _Mapping]] = ..., set_integration_types: _Optional[_Union[ConnectorStagedUpdateAction.SetIntegrationTypes, _Mapping]] = ..., set_creator_name: _Optional[_Union[ConnectorStagedUpdateAction.SetCreatorName, _Mapping]] = ..., set_creator_title: _Optional[_Union[ConnectorStagedUpdateAction.SetCreatorTitle, _Mapping]] = ..., set_creator_email: _Optional[_Union[ConnectorStagedUpdateAction.SetCreatorEmail, _Mapping]] = ..., set_creator_company: _Optional[_Union[ConnectorStagedUpdateAction.SetCreatorCompany, _Mapping]] = ..., set_creator_no_of_contributors: _Optional[_Union[ConnectorStagedUpdateAction.SetCreatorNoOfContributors, _Mapping]] = ..., set_creator_support_url: _Optional[_Union[ConnectorStagedUpdateAction.SetCreatorSupportUrl, _Mapping]] = ..., set_creator_logo: _Optional[_Union[ConnectorStagedUpdateAction.SetCreatorLogo, _Mapping]] = ..., add_private_project: _Optional[_Union[ConnectorStagedUpdateAction.AddPrivateProject, _Mapping]] = ..., remove_private_project: _Optional[_Union[ConnectorStagedUpdateAction.RemovePrivateProject, _Mapping]] = ..., update_previewable: _Optional[_Union[ConnectorStagedUpdateAction.UpdatePreviewable, _Mapping]] = ..., publish: _Optional[_Union[ConnectorStagedUpdateAction.Publish, _Mapping]] = ..., unlist: _Optional[_Union[ConnectorStagedUpdateAction.Unlist, _Mapping]] = ..., add_certification_comment: _Optional[_Union[ConnectorStagedUpdateAction.AddCertificationComment, _Mapping]] = ..., set_repository_credentials: _Optional[_Union[ConnectorStagedUpdateAction.SetRepositoryCredentials, _Mapping]] = ..., set_media: _Optional[_Union[ConnectorStagedUpdateAction.SetMedia, _Mapping]] = ..., set_support_contact: _Optional[_Union[ConnectorStagedUpdateAction.SetSupportContact, _Mapping]] = ..., set_declaration_of_intent: _Optional[_Union[ConnectorStagedUpdateAction.SetDeclarationOfIntent, _Mapping]] = ...) -> None: ...
