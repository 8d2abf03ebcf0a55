"""Fixtures of the end-to-end tests shared by several of their modules."""

from __future__ import annotations

import fcntl
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Deployment, make_deployment
from tests.support.landing_writer import LandingWriter
from tests.support.reference import Session, sessionize
from tests.support.serve_support import ACME, GLOBEX, INITECH, Site, create_key, serving, with_keys
from tests.support.views_landing import INTERACTIONS, ZONES


@pytest.fixture(scope="module")
def site(simulated: Deployment, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("serve")
    deployment = with_keys(simulated, root / "keys.sqlite")
    _, key = create_key(deployment, ACME, GLOBEX)
    _, other_key = create_key(deployment, INITECH)
    with serving(deployment, root / "serve.log") as server:
        yield Site(deployment, server, key, other_key)


@pytest.fixture(scope="session")
def warehouse(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> tuple[Deployment, list[Session]]:
    """The history of tests/support/views_landing.py as landing files, loaded by one `chatwh run`.

    Built once per test session and shared by the xdist workers (the first one builds it
    under a lock, the others read it): `--dist loadgroup` cannot keep its modules on one
    worker with pytest 9 and pytest-xdist 3.8 (the group suffix no longer reaches the node id).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    root = shared / "views_cli"
    shared.mkdir(parents=True, exist_ok=True)
    with open(shared / "views_cli.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            deployment = make_deployment(root)
            done = root / "built"
            if not done.exists():
                writer = LandingWriter(deployment.landing)
                for number, interaction in enumerate(INTERACTIONS):
                    arrival = interaction.at.astimezone(ZoneInfo("UTC")).date()
                    if interaction.user == "anon-march-2":
                        arrival += timedelta(days=2)  # a late file
                    writer.deliver(interaction, number, arrival)
                    if interaction.user == "34611111111":  # again: same file, next day
                        writer.deliver(interaction, number, arrival)
                        writer.deliver(
                            interaction, number, arrival + timedelta(days=1), "redelivery"
                        )
                writer.write()
                deployment.run()
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return deployment, sessionize(INTERACTIONS, ZONES)
