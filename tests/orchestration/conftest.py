"""Fixtures of the orchestration tests shared by several of their modules."""

from __future__ import annotations

import pytest

from tests.conftest import make_deployment
from tests.support.reliability import Reference, _build_reference
from tests.support.support import arrival_days, build_once


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The simulated landing zone and the warehouse of one uninterrupted `chatwh run`."""
    deployment = make_deployment(build_once(tmp_path_factory, "reliability", _build_reference))
    return Reference(deployment, arrival_days(deployment.landing))
