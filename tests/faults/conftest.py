"""The fault matrix's rig: one embedded stack per test module, shared by its cases (each case
has its own devices, so its accounting is its own). docs/RELIABILITY.md has the table."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import _unavailable
from tests.faults.rig import Rig
from tests.faults.webhook import WebhookReceiver


def _has_mosquitto() -> bool:
    return shutil.which("mosquitto") is not None or Path("/usr/sbin/mosquitto").exists()


@pytest.fixture(scope="module")
async def rig(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    if not _has_mosquitto():
        _unavailable("mosquitto is not installed (make setup installs it)")
    webhook = WebhookReceiver().up()
    rig = Rig(tmp_path_factory.mktemp("faults"), webhook)
    try:
        yield await rig.start()
    finally:
        await rig.stop()
        webhook.down()
