"""Instance storage: peewee models (bound through ``database_proxy``), migrations and the repository."""

from .migrations import COMPONENT, MIGRATIONS
from .models import database_proxy
from .repository import InstanceRepository

__all__ = ["COMPONENT", "MIGRATIONS", "InstanceRepository", "database_proxy"]
