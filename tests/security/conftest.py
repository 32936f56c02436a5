"""A TLS-only Kafka for the security tests: Tansu behind tests/security/tls_proxy.py, with the
test PKI of tests/pki.py, and every topic of the topic table created through TLS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from events.connections import KafkaConnection, KafkaFlavour
from firewatch.embedded.process import free_port
from firewatch.embedded.tansu import TansuBroker, start_tansu
from firewatch.kafka_admin import ensure_topics
from tests.pki import Pki, make_pki
from tests.security.tls_proxy import TlsProxy


@dataclass(frozen=True)
class TlsKafka:
    tansu: TansuBroker
    proxy: TlsProxy
    pki: Pki

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.proxy.port}"

    def connection(self, **overrides: object) -> KafkaConnection:
        """How our clients reach it: SSL, trusting the test CA only."""
        fields: dict[str, object] = {
            "bootstrap": self.bootstrap,
            "flavour": KafkaFlavour.TANSU,
            "security_protocol": "SSL",
            "ssl_ca_file": self.pki.ca,
        }
        return KafkaConnection.model_validate({**fields, **overrides})

    def env(self) -> dict[str, str]:
        """The same connection as a service's environment (firewatch.settings)."""
        return {
            "FIREWATCH_KAFKA__BOOTSTRAP": self.bootstrap,
            "FIREWATCH_KAFKA__FLAVOUR": "tansu",
            "FIREWATCH_KAFKA__SECURITY_PROTOCOL": "SSL",
            "FIREWATCH_KAFKA__SSL_CA_FILE": str(self.pki.ca),
        }


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def tls_kafka(tmp_path: Path, pki: Pki) -> AsyncIterator[TlsKafka]:
    proxy_port = free_port()
    # Tansu tells every client the proxy's address: even a client that found Tansu's own
    # port is sent to TLS for everything after the bootstrap.
    tansu = start_tansu(log_path=tmp_path / "tansu.log", advertised=f"127.0.0.1:{proxy_port}")
    proxy = TlsProxy(proxy_port, ("127.0.0.1", tansu.port), pki.server_cert, pki.server_key)
    try:
        proxy.start()
        kafka = TlsKafka(tansu, proxy, pki)
        await ensure_topics(kafka.connection())  # the admin client, through TLS
        yield kafka
    finally:
        proxy.stop()
        tansu.process.stop()
