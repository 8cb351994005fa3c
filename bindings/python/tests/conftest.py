"""Fixtures: a private database per test (created from PM_TEST_DATABASE_URL with psql, as
tests/support does for the C++ tests), and OpenSSL-made certificate requests."""

from __future__ import annotations

import os
import random
import re
import subprocess

import pytest


def _admin_url() -> str:
    url = os.environ.get("PM_TEST_DATABASE_URL", "")
    if not url:
        pytest.fail("PM_TEST_DATABASE_URL is not set: run through scripts/test, or set it to the "
                    "URL of a role that may create databases")
    return url


def _psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   capture_output=True)


def _with_database(url: str, name: str) -> str:
    match = re.match(r"^([a-z]+://[^/?]*)(/[^?]*)?(\?.*)?$", url)
    if match is None:
        raise ValueError(f"not a postgresql:// URL: {url}")
    return f"{match.group(1)}/{name}{match.group(3) or ''}"


def _new_database(template: str | None = None):
    admin = _admin_url()
    name = f"pm_py_{os.getpid()}_{random.randrange(10**9)}"
    _psql(admin, f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return admin, name


@pytest.fixture
def empty_database_url():
    """The URL of a new, empty database, dropped after the test."""
    admin, name = _new_database()
    try:
        yield _with_database(admin, name)
    finally:
        _psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def _schema_template():
    """A database migrated once per session, which each test's database is cloned from."""
    import powermanage
    admin, name = _new_database()
    try:
        powermanage.migrate(_with_database(admin, name))
        yield name
    finally:
        _psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def database_url(_schema_template):
    """The URL of a new database with libpowermanage's schema, dropped after the test."""
    admin, name = _new_database(_schema_template)
    try:
        yield _with_database(admin, name)
    finally:
        _psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def make_csr(tmp_path, hostname: str, key: str = "ec:P-256") -> str:
    """A PEM PKCS#10 request made by the openssl command ("ec:P-256" or "rsa:1024")."""
    kind, _, size = key.partition(":")
    options = (["-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{size}"] if kind == "ec" else
               ["-newkey", f"rsa:{size}"])
    result = subprocess.run(["openssl", "req", "-new", *options, "-nodes", "-keyout",
                             str(tmp_path / "key.pem"), "-subj", f"/CN={hostname}"],
                            check=True, capture_output=True, text=True)
    return result.stdout


def chain_verifies(tmp_path, ca_pem: str, certificate_pem: str) -> bool:
    """Whether `openssl verify` accepts the certificate under the CA for TLS clients."""
    (tmp_path / "ca.pem").write_text(ca_pem)
    (tmp_path / "leaf.pem").write_text(certificate_pem)
    result = subprocess.run(["openssl", "verify", "-purpose", "sslclient", "-CAfile",
                             str(tmp_path / "ca.pem"), str(tmp_path / "leaf.pem")],
                            capture_output=True, text=True)
    return result.returncode == 0
