"""Recordings: JSON lines (gzip when the name ends in .gz), one MQTT message a line.

    {"format": "firewatch-recording", "version": 1, "source": ..., "ground_truth": {...}}  (header)
    {"t": 1772330400.123456, "topic": "fw/v1/...", "qos": 1, "retain": false, "payload": "..."}

`t` is the receive time (Unix seconds). Payloads that are not UTF-8 go in `payload_b64`.
Writing is deterministic: the same records give the same bytes (gzip without a timestamp).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from simulators.delivery import Emission
from simulators.truth import GroundTruth

FORMAT = "firewatch-recording"


class RecordingError(ValueError):
    """A recording line that cannot be read; names the line."""


@dataclass(frozen=True, slots=True)
class Record:
    t: float
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False

    def to_json(self) -> str:
        data: dict[str, Any] = {"t": round(self.t, 6), "topic": self.topic, "qos": self.qos}
        data["retain"] = self.retain
        try:
            data["payload"] = self.payload.decode("utf-8")
        except UnicodeDecodeError:
            data["payload_b64"] = base64.b64encode(self.payload).decode("ascii")
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        if "payload_b64" in data:
            payload = base64.b64decode(data["payload_b64"])
        else:
            payload = str(data["payload"]).encode("utf-8")
        return cls(
            float(data["t"]),
            str(data["topic"]),
            payload,
            int(data.get("qos", 1)),
            bool(data.get("retain", False)),
        )


@dataclass(frozen=True, slots=True)
class Header:
    source: str = ""
    ground_truth: GroundTruth | None = None

    def to_json(self) -> str:
        truth = self.ground_truth.model_dump(mode="json") if self.ground_truth else None
        data = {"format": FORMAT, "version": 1, "source": self.source, "ground_truth": truth}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _open_write(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        raw = gzip.GzipFile(filename="", mode="wb", fileobj=path.open("wb"), mtime=0)
        return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
    return path.open("w", encoding="utf-8", newline="\n")


def _open_read(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open(encoding="utf-8")


class RecordingWriter:
    def __init__(self, path: Path | str, header: Header | None = None) -> None:
        self.path = Path(path)
        self._fh = _open_write(self.path)
        self.count = 0
        if header is not None:
            self._fh.write(header.to_json() + "\n")

    def write(self, record: Record) -> None:
        self._fh.write(record.to_json() + "\n")
        self.count += 1

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_header(path: Path | str) -> Header | None:
    """The header line, None when the file has none; RecordingError when it is unreadable."""
    try:
        with _open_read(Path(path)) as fh:
            first = fh.readline()
        if not first.strip():
            return None
        data = json.loads(first)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        truth = data.get("ground_truth")
        truth_model = GroundTruth.model_validate(truth) if truth else None
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        # ValueError covers JSON and ground-truth validation errors alike.
        raise RecordingError(f"{path}:1: {_reason(exc)}") from exc
    return Header(str(data.get("source", "")), truth_model)


def read_records(path: Path | str) -> Iterator[Record]:
    """Every message line; RecordingError names the line of a corrupt or truncated file."""
    at = 0  # lines read so far
    try:
        with _open_read(Path(path)) as fh:
            for line in fh:
                at += 1
                try:
                    record = _parse_line(line)
                except (ValueError, KeyError, TypeError) as exc:
                    raise RecordingError(f"{path}:{at}: {_reason(exc)}") from exc
                if record is not None:
                    yield record
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        # gzip raises EOFError on a truncated file and BadGzipFile (an OSError) on a corrupt
        # one while the next line is read: name that line.
        raise RecordingError(f"{path}:{at + 1}: {_reason(exc)}") from exc


def _parse_line(line: str) -> Record | None:
    if not line.strip():
        return None
    data = json.loads(line)
    if not isinstance(data, dict):
        raise TypeError(f"a line must be a JSON object, not {type(data).__name__}")
    if data.get("format") == FORMAT:
        return None
    return Record.from_json(data)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at column {exc.pos + 1}: {exc.msg}"
    if isinstance(exc, EOFError):
        return "the file is truncated (compressed stream ended early)"
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    if isinstance(exc, gzip.BadGzipFile):
        return f"not a gzip file ({exc})"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return str(exc).split("\n")[0]


def emissions_to_records(emissions: Iterable[Emission], start_at: datetime) -> Iterator[Record]:
    """What a subscriber would have recorded: receive time = device-clock start + t.
    A DROP becomes the last will the broker publishes; redeliveries appear twice."""
    t0 = start_at.timestamp()
    for e in emissions:
        yield Record(t0 + e.t_s, e.topic, e.payload, e.qos, e.retain)


def write_recording(path: Path | str, records: Iterable[Record], header: Header | None) -> int:
    with RecordingWriter(path, header) as writer:
        for r in records:
            writer.write(r)
        return writer.count
