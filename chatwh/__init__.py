"""Chat Warehouse from Python: the three views and the marts as pandas DataFrames.

Made for a notebook::

    import chatwh

    wh = chatwh.open()  # $CHATWH_WAREHOUSE, else data/warehouse.duckdb; or chatwh.open(path)
    wh.sessions("acme-support", "2026-01-01", "2026-01-31")  # a dict, as `chatwh sessions --json`
    wh.customers("acme-support", "2026-01-01", "2026-03-31", grain="week")["series"]  # a DataFrame
    wh.table("customers")  # any table of the marts schema

It is read-only and answers from the same functions as the ``chatwh`` command, its HTML
report and its HTTP API (``orchestration/views.py``), so the numbers cannot differ. A bad
argument raises :class:`ViewError` with the command line's message.
"""

from orchestration.views import ViewError
from orchestration.warehouse import WarehouseBusy

from .api import Warehouse, open

__all__ = ["ViewError", "Warehouse", "WarehouseBusy", "open"]
