"""Instance transport: the grpc.aio servicer, proto <-> domain conversion, the catalog client."""

from .catalog_client import CatalogClient
from .servicer import InstanceServicer

__all__ = ["CatalogClient", "InstanceServicer"]
