"""`firewatch up --tls`: the stack's own CA and a certificate for its MQTT listener.

Made with the openssl command line (Debian's `openssl`; no Python dependency) in the stack's
secrets folder (0700, keys 0600) and reused on the next start. The server certificate names
the listen address as an IP SAN, because clients check the host name (runtime/mqtt.py's TLS
policy); it is issued again, under the same CA, when the address changes or it is within
RENEW_BEFORE_S of expiry, so clients keep the CA file they were given. `--rotate-credentials`,
or a CA near its own expiry, makes a new CA: every client then needs the new CA file.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

from firewatch.embedded.errors import StackError
from firewatch.embedded.mosquitto import BrokerTls

CA_FILE = "mqtt-ca.pem"
CA_KEY_FILE = "mqtt-ca.key"
CERT_FILE = "mqtt-server.pem"
KEY_FILE = "mqtt-server.key"
HOST_FILE = "mqtt-server.host"  # the address the certificate was issued for
CA_DAYS, SERVER_DAYS = 365, 90
RENEW_BEFORE_S = 7 * 86_400
# P-256 keys: made in milliseconds, and accepted by every TLS 1.2 client of ours.
_KEY = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"


def load_or_create_tls(secrets_dir: Path, host: str, *, rotate: bool = False) -> BrokerTls:
    """The listener's certificate for `host` (an IP address: `firewatch up --listen`)."""
    if shutil.which("openssl") is None:
        raise StackError("--tls needs the openssl command: apt-get install openssl")
    tls = BrokerTls(secrets_dir / CA_FILE, secrets_dir / CERT_FILE, secrets_dir / KEY_FILE)
    if rotate or not _is_current(tls.ca_file):
        _new_ca(secrets_dir)
        _new_server_cert(secrets_dir, host)
    elif not _is_current(tls.cert_file) or _issued_for(secrets_dir) != host:
        _new_server_cert(secrets_dir, host)
    return tls


def _is_current(cert: Path) -> bool:
    if not cert.exists():
        return False
    check = ["x509", "-checkend", str(RENEW_BEFORE_S), "-noout", "-in", str(cert)]
    return _openssl(check, must_succeed=False) == 0


def _issued_for(directory: Path) -> str | None:
    path = directory / HOST_FILE
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


def _new_ca(directory: Path) -> None:
    ca, key = directory / CA_FILE, directory / CA_KEY_FILE
    _openssl(
        [
            *f"req -x509 {_KEY} -days {CA_DAYS}".split(),
            *("-subj", "/CN=Firewatch embedded stack CA"),
            *("-addext", "basicConstraints=critical,CA:TRUE"),
            *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
            *("-keyout", str(key), "-out", str(ca)),
        ]
    )
    key.chmod(0o600)


def _new_server_cert(directory: Path, host: str) -> None:
    cert, key, request = directory / CERT_FILE, directory / KEY_FILE, directory / "mqtt-server.csr"
    extensions = directory / "mqtt-server.ext"
    extensions.write_text(
        f"subjectAltName=IP:{host}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        encoding="utf-8",
    )
    subject = ("-subj", f"/CN={host}")
    _openssl(["req", *_KEY.split(), *subject, "-keyout", str(key), "-out", str(request)])
    key.chmod(0o600)
    _openssl(
        [
            *f"x509 -req -days {SERVER_DAYS} -in {request}".split(),
            *("-CA", str(directory / CA_FILE), "-CAkey", str(directory / CA_KEY_FILE)),
            *("-set_serial", f"0x{secrets.token_hex(16)}", "-extfile", str(extensions)),
            *("-out", str(cert)),
        ]
    )
    request.unlink()
    extensions.unlink()
    (directory / HOST_FILE).write_text(host + "\n", encoding="utf-8")


def _openssl(args: list[str], *, must_succeed: bool = True) -> int:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if must_succeed and done.returncode != 0:
        raise StackError(f"openssl {args[0]} failed: {done.stderr.strip()}")
    return done.returncode
