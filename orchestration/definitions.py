"""The Dagster code location: it only assembles what the modules of ``defs`` define."""

from __future__ import annotations

import dagster as dg

from .defs.checks import ALL_CHECKS
from .defs.dbt import chat_warehouse_dbt
from .defs.dbt_runner import dbt_resource
from .defs.ingest import raw_assistants, raw_chat_logs
from .defs.resources import warehouse_resource
from .defs.schedules import late_arrivals_sensor, nightly_job, nightly_schedule
from .defs.serving import serving_snapshot

defs = dg.Definitions(
    assets=[raw_assistants, raw_chat_logs, chat_warehouse_dbt, serving_snapshot],
    asset_checks=ALL_CHECKS,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[late_arrivals_sensor],
    resources={"warehouse": warehouse_resource(), "dbt": dbt_resource()},
)
