"""The layers of both services: every domain module imports neither grpc nor peewee nor its storage."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import catalog_service.domain
import instance_service.domain

FORBIDDEN = ("grpc", "peewee", "google.rpc", "prometheus_client", "opentelemetry", "catalog_service.storage",
             "catalog_service.transport", "instance_service.storage", "instance_service.transport")


@pytest.mark.parametrize("package", [catalog_service.domain, instance_service.domain], ids=lambda p: p.__name__)
def test_domain_modules_import_no_transport_and_no_storage(package):
    modules = [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
    code = (
        f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('grpc', 'peewee', 'prometheus_client', 'opentelemetry') "
        f"or any(m == f or m.startswith(f + '.') for f in {FORBIDDEN!r})); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
