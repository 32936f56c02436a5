"""No broker client of ours is built around the shared security settings (issue 12 item 3).

Every aiokafka client spreads a runtime.kafka builder into its arguments, the Faust app takes
runtime.kafka's credentials, and only runtime/mqtt.py constructs a paho client or sets its TLS;
so a FIREWATCH_KAFKA__* or FIREWATCH_MQTT__TLS_* setting reaches every connection. Read from
the source (ast), so a new construction site that forgets it fails here, not in production.
"""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    *("events", "runtime", "ingest", "streams", "alerts", "simulators", "community"),
    *("firewatch", "benchmarks"),
)
# Benchmarks that only ever talk to the plaintext brokers they start themselves, and measure
# raw client baselines whose settings are part of the measurement (never a configured broker).
OWN_BROKERS_ONLY = {
    "benchmarks/dispatch.py",
    "benchmarks/e2e_relay.py",
    "benchmarks/e2e_watch.py",
    "benchmarks/ingest.py",
    "benchmarks/raw.py",
    "benchmarks/soak_rig.py",
    "benchmarks/streams.py",
}

KAFKA_CLIENTS = {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient", "AIOKafkaClient"}
BUILDERS = {"producer_settings", "consumer_settings", "admin_settings"}
MQTT_FACTORY = "runtime/mqtt.py"


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _spreads_a_builder(call: ast.Call) -> bool:
    return any(
        k.arg is None and isinstance(k.value, ast.Call) and _name(k.value.func) in BUILDERS
        for k in call.keywords
    )


def _faust_credentials(call: ast.Call) -> bool:
    return any(
        k.arg == "broker_credentials"
        and isinstance(k.value, ast.Call)
        and _name(k.value.func) == "faust_credentials"
        for k in call.keywords
    )


def _is_paho_client(call: ast.Call) -> bool:
    """`mqtt.Client(...)`, `Client(CallbackAPIVersion...)` and paho subclasses built with
    callback API version as first argument."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "Client":
        return _name(func.value) == "mqtt"
    first = call.args[0] if call.args else None
    return isinstance(first, ast.Attribute) and _name(first.value) == "CallbackAPIVersion"


def violations(source: str, where: str) -> list[str]:
    """What in `source` builds a client without the shared settings, as `where:line: why`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        line = f"{where}:{node.lineno}"
        if name in KAFKA_CLIENTS and not _spreads_a_builder(node):
            found.append(f"{line}: {name} without **runtime.kafka settings")
        elif name == "App" and _name(getattr(node.func, "value", node.func)) == "faust":
            if not _faust_credentials(node):
                found.append(f"{line}: faust.App without broker_credentials=faust_credentials()")
        elif where != MQTT_FACTORY and (_is_paho_client(node) or name == "tls_set"):
            found.append(f"{line}: {name} outside runtime.mqtt.new_client")
    return found


def _sources() -> list[Path]:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    return [p for p in files if str(p.relative_to(ROOT)) not in OWN_BROKERS_ONLY]


@contextmanager
def _no_collection_while_parsing() -> Iterator[None]:
    """CPython 3.11 (gh-106905): a garbage collection inside `ast.parse` that runs a finalizer
    (earlier tests' aiokafka futures log "exception was never retrieved") can fail the parse
    with "SystemError: AST constructor recursion depth mismatch". Collect first, then parse
    with the collector off; a clean-clone run failed here once that way."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_every_broker_client_is_built_from_the_shared_settings() -> None:
    files = _sources()
    assert len(files) > 100  # the scan sees the project, not an empty folder
    found = []
    with _no_collection_while_parsing():
        for path in files:
            where = str(path.relative_to(ROOT))
            found += violations(path.read_text(encoding="utf-8"), where)
    assert found == []


def test_the_scan_names_each_kind_of_bare_construction() -> None:
    bare = """
producer = AIOKafkaProducer(bootstrap_servers=conn.bootstrap, acks="all")
consumer = aiokafka.AIOKafkaConsumer("t", **consumer_settings(conn, client_id="c", group_id=None))
admin = AIOKafkaAdminClient(**{"bootstrap_servers": "x"})
app = faust.App("fw", broker="kafka://x")
client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="x")
sub = BufferedClient(CallbackAPIVersion.VERSION2, client_id="y")
client.tls_set(ca_certs="ca.pem")
"""
    found = violations(bare, "example.py")
    assert [f.split(":")[1] for f in found] == ["2", "4", "5", "6", "7", "8"]
    assert "AIOKafkaProducer without" in found[0]
    assert "faust.App without" in found[2]
    in_factory = violations(bare, MQTT_FACTORY)  # the factory itself builds paho clients
    assert [f.split(":")[1] for f in in_factory] == ["2", "4", "5"]
