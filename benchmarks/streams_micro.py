"""The worker's per-reading CPU without the broker: decode + detectors + the glue, in-process.

`python -m benchmarks.streams_micro [--profile]`: the same load as `firewatch bench streams`
(benchmarks/streams_load.py), each payload decoded (streams.codec.read), applied to the
readings processor, its signals encoded and applied to the compound processor as the signals
lane would; then the state written. Two modes of state writes: `backlog`, the dirty devices
written once at the end (the bench's backlog: at ~40k readings/s the 5 s flush comes once
per run, only significant changes are written at once), and `city`, one write per reading
(at city load devices report slower than the flush: every reading is a changelog write). Reports
microseconds per reading, the median of `--repeat` passes (each on fresh state). `--kinds`:
the detectors alone (DeviceEngine.on_reading) per kind of reading. Run from a checkout's root,
so main and a branch can be compared back to back (docs/PERFORMANCE.md, "Worker").
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable

from benchmarks.streams_load import EPOCH, payloads
from events.readings import Reading
from runtime.clock import ManualClock
from streams import codec
from streams.detectors.area import CompoundEngine
from streams.detectors.engine import DeviceEngine
from streams.detectors.state import DeviceState
from streams.epoch import epoch_s
from streams.processor import CompoundProcessor, DeviceProcessor, DictStore, Emitted


def one_pass(data: list[bytes], *, city: bool) -> Callable[[], None]:
    """A pass over `data` on fresh state (built here, outside the timed call)."""
    clock = ManualClock(EPOCH)
    readings = DeviceProcessor(DeviceEngine(), clock, DictStore(), partitions=12)
    compound = CompoundProcessor(CompoundEngine(), clock, DictStore(), partitions=12)
    read, on_reading, flush = codec.read, readings.on_reading, readings.flush
    read_signal, write_signal, on_signal = codec.read_signal, codec.write_signal, compound.on_signal

    def run() -> None:
        for payload in data:
            emitted = Emitted()
            on_reading(read(payload), emitted)
            for signal in emitted.signals:
                on_signal(read_signal(write_signal(signal)), Emitted())
            if city:
                flush()
        flush()
        compound.flush()

    return run


def by_kind(data: list[bytes], repeat: int) -> dict[str, float]:
    """Microseconds per reading of DeviceEngine.on_reading alone, per kind of reading: each
    kind's readings on fresh states, the first half warms them up, the second is timed."""
    engine, readings = DeviceEngine(), [codec.read(payload) for payload in data]
    kinds: dict[str, list[Reading]] = {}
    for r in readings:
        kinds.setdefault(r.kind, []).append(r)
    out = {}
    for kind, rs in kinds.items():
        half, passes = len(rs) // 2, []
        for _ in range(repeat):
            states: dict[str, DeviceState] = {}
            for r in rs:
                states.setdefault(r.device_id, DeviceState(device_id=r.device_id))
            work = [(states[r.device_id], r, epoch_s(r.observed_at)) for r in rs]
            for st, r, t_s in work[:half]:
                engine.on_reading(st, r, t_s)
            started = time.process_time()
            for st, r, t_s in work[half:]:
                engine.on_reading(st, r, t_s)
            passes.append((time.process_time() - started) / (len(rs) - half) * 1e6)
        out[kind] = statistics.median(passes)
    return out


def measure(data: list[bytes], *, city: bool, repeat: int) -> float:
    """Median microseconds per reading over `repeat` passes."""
    per_reading = []
    for _ in range(repeat):
        run = one_pass(data, city=city)
        started = time.process_time()
        run()
        per_reading.append((time.process_time() - started) / len(data) * 1e6)
    return statistics.median(per_reading)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=60_000)
    parser.add_argument("--devices", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mode", choices=("backlog", "city", "both"), default="both")
    parser.add_argument("--kinds", action="store_true", help="the detectors per kind of reading")
    parser.add_argument("--profile", action="store_true", help="cProfile one backlog pass")
    args = parser.parse_args()
    data = [value for _, value in payloads(args.readings, args.devices)]
    if args.kinds:
        for kind, us in by_kind(data, args.repeat).items():
            print(f"{kind}: {us:.2f} us per reading")
        return
    if args.profile:
        run = one_pass(data, city=False)
        with cProfile.Profile() as prof:
            run()
        pstats.Stats(prof).sort_stats("tottime").print_stats(35)
        return
    for mode in ("backlog", "city") if args.mode == "both" else (args.mode,):
        us = measure(data, city=mode == "city", repeat=args.repeat)
        print(f"{mode}: {us:.2f} us per reading")


if __name__ == "__main__":
    main()
