"""Fixtures of the end-to-end tests shared by several of their modules."""

from __future__ import annotations

import pytest

from tests.conftest import Deployment
from tests.support.serve_support import ACME, GLOBEX, INITECH, Site, create_key, serving, with_keys


@pytest.fixture(scope="module")
def site(simulated: Deployment, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("serve")
    deployment = with_keys(simulated, root / "keys.sqlite")
    _, key = create_key(deployment, ACME, GLOBEX)
    _, other_key = create_key(deployment, INITECH)
    with serving(deployment, root / "serve.log") as server:
        yield Site(deployment, server, key, other_key)
