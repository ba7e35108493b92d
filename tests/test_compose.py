"""docker-compose.yml describes a runnable Airflow 3 CeleryExecutor deployment of this repo.

No Docker engine here, so this checks structure: services, image build, executor, mounts, volumes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = {"api-server", "scheduler", "dag-processor", "triggerer", "worker", "airflow-init"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _volumes(service: dict) -> list[tuple[str, str]]:
    out = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            out.append((str(entry["source"]), str(entry["target"])))
        else:
            source, target = str(entry).split(":")[:2]
            out.append((source, target))
    return out


def test_services(compose):
    assert set(compose["services"]) >= AIRFLOW_SERVICES | {"postgres", "redis"}


def test_airflow_services_build_the_project_image(compose):
    dockerfile = ROOT / "docker" / "Dockerfile"
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        build = service["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).resolve() == dockerfile.resolve(), name
    text = dockerfile.read_text(encoding="utf-8")
    assert re.search(r"^FROM apache/airflow:\$\{AIRFLOW_VERSION\}-python3\.11$", text, re.M)
    assert re.search(r"^ARG AIRFLOW_VERSION=3\.3\.\d+$", text, re.M)
    assert "torch==${TORCH_VERSION}" in text


def test_dockerfile_copies_only_what_the_repo_has():
    text = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    sources = [src for line in re.findall(r"^COPY (.+)$", text, re.M)
               for src in line.split()[:-1] if not src.startswith("--")]
    assert sources
    for src in sources:
        assert (ROOT / src).exists(), f"docker/Dockerfile copies {src}, which the repo lacks"


def test_celery_executor_with_postgres_and_redis(compose):
    services = compose["services"]
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:" in env["AIRFLOW__CELERY__BROKER_URL"]
        assert env["MIRSAD_INBOX"] and env["MIRSAD_DATA_DIR"]
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["worker"]["command"] == "celery worker"


def test_long_running_services_have_healthchecks(compose):
    for name in ("postgres", "redis", "api-server", "scheduler", "dag-processor", "triggerer", "worker"):
        assert compose["services"][name]["healthcheck"]["test"], name


def test_init_migrates_and_creates_the_duckdb_pool(compose):
    init = compose["services"]["airflow-init"]
    script = "\n".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert "airflow db migrate" in script
    assert 'pools set mirsad_duckdb 1' in script
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert compose["services"][name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"


def test_bind_mounts_exist_and_named_volumes_are_declared(compose):
    declared = set(compose.get("volumes") or {})
    used_named = set()
    for name, service in compose["services"].items():
        for source, _target in _volumes(service):
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind-mounted {source} is not in the repo"
            else:
                used_named.add(source)
    assert used_named <= declared, used_named - declared
    worker_targets = dict((t, s) for s, t in _volumes(compose["services"]["worker"]))
    env = compose["services"]["worker"]["environment"]
    # the inbox is a named volume where the environment says; nothing of the checkout hides the image's
    # compiled build, and no data volume is shared: DATA_DIR is scratch, the lake is the DuckLake
    assert worker_targets[env["MIRSAD_INBOX"]] in declared
    assert not any(source.startswith((".", "/")) for source in worker_targets.values()), worker_targets
    assert env["MIRSAD_DATA_DIR"] not in worker_targets


def test_secrets_are_required_from_env_file(compose):
    """AIRFLOW_FERNET_KEY and the JWT secret come from .env with no fallback; .env.example documents every one."""
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    env = compose["services"]["worker"]["environment"]
    assert env["AIRFLOW__CORE__FERNET_KEY"].startswith("${AIRFLOW_FERNET_KEY:?")
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET:?")
    assert "mirsad-local-development-secret" not in text
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for var in sorted(set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))):
        assert re.search(rf"^{var}=", example, re.M), f".env.example does not document {var}"
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_ducklake_catalog_and_object_storage_services(compose):
    services = compose["services"]
    assert services["ducklake-catalog"]["image"].startswith("postgres:")
    assert services["ducklake-catalog"]["environment"]["POSTGRES_DB"] == "ducklake"
    assert services["seaweedfs"]["command"].startswith("mini ")
    env = services["worker"]["environment"]
    assert env["MIRSAD_CATALOG"].startswith("postgres:dbname=ducklake host=ducklake-catalog ")
    assert env["MIRSAD_LAKE_URI"].startswith("s3://")
    assert env["AWS_ENDPOINT_URL"] == "http://seaweedfs:8333"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        for dep in ("ducklake-catalog", "seaweedfs"):
            assert services[name]["depends_on"][dep]["condition"] == "service_healthy", (name, dep)


def test_docs_scale_the_worker_service_and_name_the_real_password_file(compose):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    compose_text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for text in (readme, compose_text):
        for service in re.findall(r"--scale ([a-z-]+)=", text):
            assert service in compose["services"], service
    # Airflow 3.3's SimpleAuthManager writes AIRFLOW_HOME/simple_auth_manager_passwords.json.generated
    assert "/opt/airflow/simple_auth_manager_passwords.json.generated" in compose_text


def test_image_install_is_pinned_by_constraints():
    text = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert "--constraint /opt/mirsad/docker/constraints.txt" in text
    pins = dict(line.split("==", 1) for line in (ROOT / "docker" / "constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert pins["duckdb"] == pins["duckdb_extension_ducklake"] == pins["duckdb_extension_postgres"] \
        == pins["duckdb_extension_httpfs"]
    assert "install_extensions()" in text  # extensions installed at build time, never downloaded at run time
