"""Catalog domain: the model, update actions and validation, the connect.yaml specification, the draft,
publishing and certification rules, and the use cases.

Plain Python: imports neither grpc nor peewee.
"""

from .jobs import Job, Jobs, JobStore
from .listing import Page
from .model import (
    Connector,
    Creator,
    Draft,
    EntryType,
    Lifecycle,
    Previewable,
    PublishedVersion,
    ReportEntry,
    Repository,
    Specification,
    Status,
)
from .service import Catalog, CatalogStore, Certification

__all__ = [
    "Catalog",
    "CatalogStore",
    "Certification",
    "Connector",
    "Creator",
    "Draft",
    "EntryType",
    "Job",
    "JobStore",
    "Jobs",
    "Lifecycle",
    "Page",
    "Previewable",
    "PublishedVersion",
    "ReportEntry",
    "Repository",
    "Specification",
    "Status",
]
