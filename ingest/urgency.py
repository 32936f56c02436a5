"""Readings that skip the telemetry hold: the ones that may be a fire or a runaway starting.

The hold (IngestConfig.telemetry_hold_ms) lets ordinary readings wait to go to Kafka in larger
batches. A reading that may raise a P1 must not pay for it: it ends the hold, and the readings
held with it go in the same write (one write, each device's order kept). The worker's
detectors still decide; this only says "do not wait". Deliberately wide and stateless: a
reading called urgent in error costs one smaller batch, and one missed costs the hold's
milliseconds, never an alert.
"""

from __future__ import annotations

from events.readings import (
    ChargingPortReading,
    PortState,
    Reading,
    SmokeAlarmState,
    SmokeReading,
)

# A socket past 50 C is on its way to the BMS charging over-temperature default of 55 C
# (DOMAIN.md: TI BQ76942 defaults), the maker's maximum that, climbing at >= 1 C/s, makes a
# runaway (GB 38031-2020 Annex C style).
SOCKET_WARM_C = 50.0
# Battery off-gas at the detectors' early level (streams ChargingSettings.offgas_*_ppm): VOC
# and CO rise minutes before a runaway (DOMAIN.md §4); the venting levels are far above.
OFF_GAS_VOC_PPM = 10.0
OFF_GAS_CO_PPM = 50.0
# Type A point smoke detectors respond at >= 0.05 dB/m (GB 4715-2024 §5.7).
SMOKE_DB_PER_M = 0.05
# The lowest static response temperature of a heat detector, class A1 (EN 54-5 / GB 4716).
HEAT_C = 54.0
# Fire CO cells alarm from tens of ppm; a kitchen's background stays below this.
SMOKE_CO_PPM = 50.0


def is_urgent(reading: Reading) -> bool:
    if isinstance(reading, ChargingPortReading):
        return (
            reading.socket_temp_c >= SOCKET_WARM_C
            or reading.port_state is PortState.FAULT
            or (reading.voc_ppm or 0.0) >= OFF_GAS_VOC_PPM
            or (reading.co_ppm or 0.0) >= OFF_GAS_CO_PPM
        )
    if isinstance(reading, SmokeReading):
        return (
            reading.alarm_state is not SmokeAlarmState.NORMAL
            or reading.obscuration_db_per_m >= SMOKE_DB_PER_M
            or reading.temperature_c >= HEAT_C
            or (reading.co_ppm or 0.0) >= SMOKE_CO_PPM
        )
    return False
