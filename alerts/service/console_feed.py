"""The duty console of any dispatch instance shows every open incident (issue 16.4).

An instance holds only its own compounds' incidents (alerts.service.ownership). The others'
come from the shared ledger, polled: each owner writes an incident's every change there
before anything else leaves it (alerts.service.shell), so the ledger is the whole truth, in
the very shape the console renders (conditions, tasks, dispatch note). Chosen over consuming
fw.incidents.v2 because those updates are a wire summary (events.incidents.IncidentUpdate):
rebuilding the console's incident from them would duplicate the owner's model; the poll reads
a city's open incidents (hundreds of rows) once a second, and a console shows a change made
elsewhere within that second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alerts.ledger import Ledger
from alerts.lifecycle import Incident
from alerts.notify.hub import ConsoleHub


class ForeignIncidents:
    """Open incidents of the compounds other instances own, as last read from the ledger."""

    def __init__(self, ledger: Ledger, hub: ConsoleHub, owns: Callable[[str], bool]) -> None:
        self._ledger, self._hub, self._owns = ledger, hub, owns
        self._seen: dict[str, Incident] = {}

    def current(self) -> list[Incident]:
        return list(self._seen.values())

    def find(self, key: str) -> Incident | None:
        return self._seen.get(key)

    async def refresh(self) -> int:
        """Read the ledger once; every incident that changed (or closed) since the last read
        goes to this instance's console streams. How many did."""
        rows = await asyncio.to_thread(self._ledger.open_incidents)
        now = {i.incident_key: i for i in rows if not self._owns(i.compound_id)}
        changed = [inc for key, inc in now.items() if self._seen.get(key) != inc]
        for key in self._seen.keys() - now.keys():
            inc = await asyncio.to_thread(self._ledger.incident, key)
            if inc is not None and not inc.is_open:  # resolved elsewhere: consoles drop it
                changed.append(inc)
        self._seen = now
        for inc in changed:
            self._hub.publish({"type": "incident", "incident": inc})
        return len(changed)
