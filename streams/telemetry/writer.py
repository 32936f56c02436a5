"""Writers of line-protocol batches: the port the sink calls, and its InfluxDB adapter.

The adapter speaks the InfluxDB v2 write API through influxdb-client's async client (InfluxDB
2.x/3.x in production, VictoriaMetrics in the tests). Every failure becomes `WriteFailed` with
an error class: the sink decides to wait and retry, never to drop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from streams.telemetry.config import SinkConfig
from streams.telemetry.errors import WriteFailed

try:
    import aiohttp
    from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
    from influxdb_client.rest import ApiException
except ImportError as exc:  # pragma: no cover - the dependency is declared
    raise ImportError("the telemetry sink needs `influxdb-client[async]`") from exc


class LineWriter(Protocol):
    async def write(self, lines: Sequence[str]) -> None:
        """Store every line or raise WriteFailed."""


class InfluxWriter:
    """Batches to the v2 write API (nanosecond precision). Use `async with`."""

    def __init__(self, config: SinkConfig) -> None:
        if config.url is None:
            raise ValueError("SinkConfig.url is not set: the telemetry sink is off")
        self._config = config
        self._client = InfluxDBClientAsync(
            url=config.url,
            token=config.token.get_secret_value() if config.token else "",
            org=config.org,
            timeout=int(config.write_timeout_s * 1000),
        )
        self._api = self._client.write_api()

    async def write(self, lines: Sequence[str]) -> None:
        try:
            await self._api.write(
                bucket=self._config.bucket,
                org=self._config.org,
                # One body, joined in C: given a list, the client re-checks the type of every
                # line and encodes each on its own. Precision: the default, nanoseconds.
                record="\n".join(lines).encode(),
            )
        except ApiException as exc:
            status = int(exc.status or 0)
            raise WriteFailed(f"http_{status // 100}xx", f"HTTP {status}: {exc.reason}") from exc
        except TimeoutError as exc:
            raise WriteFailed("timeout", f"no answer in {self._config.write_timeout_s} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise WriteFailed("connection", f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        await self._client.close()  # type: ignore[no-untyped-call]  # influxdb-client: unannotated

    async def __aenter__(self) -> InfluxWriter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
