"""The API's answers as OpenAPI schemas (for /docs only).

The endpoints return the dictionaries of ``orchestration/views.py`` as they are, the same
JSON as ``chatwh ... --json`` (SPEC §5); these models describe them and are not used to
re-serialize anything.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    detail: str = Field(description="what was wrong, in one line")


class Assistant(BaseModel):
    assistant_id: str
    name: str
    timezone: str = Field(description="IANA zone: the assistant's dates, weeks and months")


class Assistants(BaseModel):
    assistants: list[Assistant] = Field(description="the assistants this key covers")


class Health(BaseModel):
    status: Literal["ok"]
    snapshot_published_at: str = Field(description="when the build being served was published")


class MonthUsers(BaseModel):
    month: str = Field(description="YYYY-MM")
    users: int


class DashboardView(BaseModel):
    assistant_id: str
    as_of: date
    month: str = Field(description="the as-of month, YYYY-MM, counted month to date")
    users: int = Field(description="users with a session in the month, up to as_of")
    previous_month_users: int
    pct_change: float | None = Field(description="null when the previous month had no users")
    trend: Literal["up", "down", "neutral"]
    color: Literal["green", "red", "blue"]
    evolution: list[MonthUsers] = Field(description="the 12 months up to the as-of month")


class SessionsView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    assistant_id: str
    channel: Literal["all", "web", "whatsapp"]
    from_: date = Field(alias="from")
    to: date
    total_users: int = Field(description="users with at least one session in the window")
    unique_users: int = Field(description="users with exactly one session in the window")
    recurring_users: int = Field(description="users with two or more sessions in the window")
    unique_pct: float | None = Field(description="null when total_users is 0")
    recurring_pct: float | None


class Bucket(BaseModel):
    bucket_start: date
    active_users: int
    unique_users: int = Field(description="active users unique over the whole window")
    recurring_users: int = Field(description="active users recurring over the whole window")
    new_users: int = Field(description="users whose first session ever is in the bucket")


class CustomersView(SessionsView):
    grain: Literal["day", "week", "month"]
    series: list[Bucket]
