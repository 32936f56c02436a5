"""A small PKI for the TLS tests: a CA, a server certificate for 127.0.0.1 and a client
certificate it signed, and a second CA nobody trusts. Made with the openssl command line."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_ca: Path


def _openssl(command: str) -> None:
    """One openssl command line (pytest's temporary paths hold no spaces)."""
    subprocess.run(["openssl", *command.split()], check=True, capture_output=True)


def _ca(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl(
        f"req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN={name} -keyout {key} -out {cert}"
    )
    return cert, key


def _signed(directory: Path, name: str, ca: tuple[Path, Path], extension: str) -> tuple[Path, Path]:
    cert, key, request = (directory / f"{name}{s}" for s in (".pem", ".key", ".csr"))
    ext = directory / f"{name}.ext"
    ext.write_text(extension + "\n", encoding="utf-8")
    _openssl(f"req -newkey rsa:2048 -nodes -subj /CN={name} -keyout {key} -out {request}")
    _openssl(
        f"x509 -req -in {request} -CA {ca[0]} -CAkey {ca[1]} -CAcreateserial -days 1 "
        f"-extfile {ext} -out {cert}"
    )
    return cert, key


def make_pki(directory: Path) -> Pki:
    """The server certificate names 127.0.0.1 only (an IP SAN): a client that dials
    `localhost` must fail the host-name check."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    ca = _ca(directory, "firewatch-test-ca")
    server = _signed(directory, "broker", ca, "subjectAltName=IP:127.0.0.1")
    client = _signed(directory, "ingest-client", ca, "extendedKeyUsage=clientAuth")
    stranger, _ = _ca(directory, "stranger-ca")
    return Pki(ca[0], server[0], server[1], client[0], client[1], stranger)
