"""How to reach the brokers: plain settings shared by every stage (no client library here).

The composition root (`firewatch/`) builds these from the environment and the command line;
stages receive them as arguments and never read the environment themselves.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class MqttConnection(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_insecure: bool = False  # skip host-name check: only for self-signed test brokers
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    # Simulators only: a JSON file of one login per gateway, {"compound/gateway": {"username",
    # "password"}} (what `firewatch up` writes), used instead of username/password so each
    # simulated gateway connects as itself (docs/SECURITY.md).
    gateway_credentials: Path | None = None

    @model_validator(mode="after")
    def _tls_needs_its_ca(self) -> MqttConnection:
        # TLS is on exactly when a CA is given: a client certificate or `tls_insecure` without
        # one would leave the connection in plain text while the operator believes otherwise.
        if self.tls_ca_file is None:
            stray = [n for n in ("tls_cert_file", "tls_key_file") if getattr(self, n) is not None]
            stray += ["tls_insecure"] if self.tls_insecure else []
            if stray:
                raise ValueError(f"{', '.join(stray)} given without tls_ca_file: TLS would be off")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.tls_ca_file is not None

    @property
    def endpoint(self) -> str:
        scheme = "mqtts" if self.uses_tls else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"


class KafkaFlavour(StrEnum):
    """Which broker we talk to; decides features the embedded broker lacks."""

    APACHE = "apache"  # Apache Kafka: idempotent producer, acks=all
    TANSU = "tansu"  # embedded broker: no idempotent producer (STACK-NOTES.md)


KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaConnection(BaseModel):
    """Where Kafka is and how to authenticate; `runtime.kafka` turns it into client settings.

    TLS (`SSL`, `SASL_SSL`): the broker's certificate must chain to `ssl_ca_file` (the system
    store when None); `ssl_cert_file`/`ssl_key_file` are the client certificate for brokers
    that require one (mTLS).
    """

    model_config = ConfigDict(frozen=True)

    bootstrap: str = "127.0.0.1:9092"
    flavour: KafkaFlavour = KafkaFlavour.APACHE
    security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    sasl_mechanism: KafkaSaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_file: Path | None = None
    ssl_cert_file: Path | None = None
    ssl_key_file: Path | None = None
    # Tansu holds every group join for half the session timeout: keep it short
    # (STACK-NOTES.md); Apache Kafka is fine with it too.
    session_timeout_ms: int = Field(default=10_000, ge=6_000)
    heartbeat_interval_ms: int = Field(default=1_000, ge=100)

    @model_validator(mode="after")
    def _security_is_consistent(self) -> KafkaConnection:
        """Refuse settings the protocol would silently ignore: a CA or a login given with a
        protocol that does not use it means the operator believes in protection that is off."""
        ssl_files = ("ssl_ca_file", "ssl_cert_file", "ssl_key_file")
        sasl = ("sasl_mechanism", "sasl_username", "sasl_password")
        if not self.uses_tls and (given := _given(self, ssl_files)):
            raise ValueError(
                f"{given} set but security_protocol {self.security_protocol} has no TLS:"
                " use SSL or SASL_SSL"
            )
        if not self.uses_sasl and (given := _given(self, sasl)):
            raise ValueError(
                f"{given} set but security_protocol {self.security_protocol} has no SASL:"
                " use SASL_SSL (or SASL_PLAINTEXT)"
            )
        if self.uses_sasl and (self.sasl_username is None or self.sasl_password is None):
            raise ValueError(f"{self.security_protocol} needs sasl_username and sasl_password")
        if self.ssl_key_file is not None and self.ssl_cert_file is None:
            raise ValueError("ssl_key_file set without ssl_cert_file")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @property
    def is_idempotent(self) -> bool:
        """Idempotent producer only where the broker supports it."""
        return self.flavour is KafkaFlavour.APACHE


def _given(model: BaseModel, names: tuple[str, ...]) -> str:
    """The names among `names` that hold a value, comma-separated ("" when none)."""
    return ", ".join(n for n in names if getattr(model, n) is not None)
