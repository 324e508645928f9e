"""Fixtures for sync tests: one enrolled network per session, copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from network import Network, build_network


@pytest.fixture(scope="session")
def network_template(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return build_network(tmp_path_factory.mktemp("network-template"), devices=2)


@pytest.fixture
def net(network_template: Network, tmp_path: Path) -> Network:
    return network_template.copy(tmp_path / "net")
