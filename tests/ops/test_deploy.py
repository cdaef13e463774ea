"""What operators deploy, validated offline: the Kubernetes manifests against the Kubernetes schemas
(kubernetes-validate), the probes and policies they must have, compose's nginx configuration (nginx -t)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.ops.balancer import nginx_binary

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))


def _resources() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_manifests_are_valid_kubernetes_resources():
    import kubernetes_validate

    assert MANIFESTS
    for resource in _resources():
        kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)


def test_each_server_has_grpc_probes_an_autoscaler_and_a_disruption_budget():
    resources = _resources()
    kinds = {(r["kind"], r["metadata"]["name"]) for r in resources}
    for name in ("plugboard-catalog", "plugboard-instance", "plugboard-gateway"):
        for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            assert (kind, name) in kinds, (kind, name)
    for deployment in (r for r in resources if r["kind"] == "Deployment"):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert "grpc" in container["readinessProbe"] and "service" not in container["readinessProbe"]["grpc"]
        assert container["livenessProbe"]["grpc"]["service"] == "liveness"
        sources = [s.get("secretRef", {}).get("name") for s in container["envFrom"]]
        # Only the instance service reads the secret-variable keys.
        assert ("plugboard-keys" in sources) == (deployment["metadata"]["name"] == "plugboard-instance")


def test_network_policies_admit_only_the_callers_of_each_backend():
    policies = {r["metadata"]["name"]: r for r in _resources() if r["kind"] == "NetworkPolicy"}

    def callers(name: str, port: int) -> set[str]:
        found = set()
        for rule in policies[name]["spec"]["ingress"]:
            if port in [p["port"] for p in rule.get("ports", [])]:
                found |= {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in rule["from"]}
        return found

    assert callers("plugboard-instance", 50052) == {"plugboard-gateway"}
    assert callers("plugboard-catalog", 50051) == {"plugboard-gateway", "plugboard-instance"}


def test_compose_nginx_configuration_is_valid(tmp_path):
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed")
    text = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    # The compose service names resolve only inside compose: check the syntax with loopback addresses.
    text = re.sub(r"server (catalog|instance|gateway):", "server 127.0.0.1:", text)
    text = re.sub(r"listen (\d+)", lambda m: f"listen 127.0.0.1:{int(m.group(1)) % 10000 + 40000}", text)
    text = text.replace("/tmp/", f"{tmp_path}/")
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    checked = subprocess.run([binary, "-t", "-q", "-p", str(tmp_path), "-c", str(conf)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_compose_runs_replicas_behind_the_load_balancer_with_metrics_on():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    for name, port in (("catalog", 50051), ("instance", 50052), ("gateway", 50050)):
        service = services[name]
        assert str(service["deploy"]["replicas"]).startswith("${PLUGBOARD_REPLICAS:-2}")
        assert "ports" not in service  # replicas publish nothing: the lb does
        environment = service["environment"]
        assert environment[f"PLUGBOARD_{name.upper()}_METRICS_PORT"] == "9464"
        assert "plugboard" in service["healthcheck"]["test"] and f"127.0.0.1:{port}" in service["healthcheck"]["test"]
        assert environment["PLUGBOARD_CATALOG_TARGET"] == "lb:50051"
    lb = services["lb"]
    assert "./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in lb["volumes"]
    assert {"50050:50050", "8080:8080"} <= set(lb["ports"])
    conf = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    for name, port in (("catalog", 50051), ("instance", 50052), ("gateway", 50050)):
        assert f"server {name}:{port}" in conf and f"grpc_pass grpc://{name};" in conf
