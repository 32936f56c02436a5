"""The test PKI (tests/pki.py) for the TLS policy tests of runtime/."""

from __future__ import annotations

import pytest

from tests.pki import Pki, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))
