"""``chatwh report``: the three views of one assistant and window as one HTML page.

The page is self-contained: plotly's JavaScript is inlined once, so the file opens offline
and can be mailed or archived. It shows counts only (user ids never appear). Every text
that comes from the warehouse or the command line is HTML-escaped; the charts carry
numbers, dates and fixed labels only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go

from . import views
from .sql import load as load_sql
from .views import Window

TREND_COLORS = {"green": "#15803d", "red": "#dc2626", "blue": "#2563eb"}
SERIES = (  # (field, label, colour) of the Customers line graph
    ("active_users", "Active users", "#334155"),
    ("unique_users", "Unique users", "#0891b2"),
    ("recurring_users", "Recurring users", "#7c3aed"),
    ("new_users", "New users", "#f59e0b"),
)
UNIQUE_COLOR, RECURRING_COLOR = SERIES[1][2], SERIES[2][2]
PAST_MONTH_COLOR = "#cbd5e1"
CHANNEL_LABELS = {"all": "web + WhatsApp", "web": "web", "whatsapp": "WhatsApp"}
# Date labels of the Customers series per grain. plotly labels as many dates as the width
# holds; weekly labels fall on Mondays (the buckets' first day) only when the format shows
# an ISO week (%V), on Sundays otherwise.
TICK_FORMATS = {"day": "%b %d", "week": "%b %d<br>W%V", "month": "%b %Y"}
FONT = "system-ui, sans-serif"  # the page's font (CSS) and the charts'

# Every page carries it: `chatwh report` replaces a file only when it is one of its pages.
GENERATOR = '<meta name="generator" content="chatwh report">'

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f5f9; color: #0f172a; font: 15px/1.45 system-ui, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 24px 40px; }
header h1 { margin: 0; font-size: 26px; font-weight: 650; }
header h1 .id { color: #64748b; font-weight: 400; font-size: 18px; margin-left: 8px; }
header p { margin: 6px 0 22px; color: #475569; }
.chip { display: inline-block; padding: 1px 9px; border-radius: 999px; background: #e2e8f0;
        color: #334155; font-size: 13px; margin-right: 6px; }
section { background: #fff; border-radius: 14px; padding: 20px 24px; margin-bottom: 20px;
          box-shadow: 0 1px 2px rgba(15, 23, 42, .06), 0 1px 8px rgba(15, 23, 42, .04); }
section h2 { margin: 0; font-size: 18px; font-weight: 650; }
section h2 small { color: #64748b; font-weight: 400; font-size: 13px; margin-left: 8px; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: center; }
.row > .chart { flex: 1 1 560px; min-width: 0; }
.kpi { flex: 0 0 250px; }
.kpi .value { font-size: 52px; font-weight: 700; line-height: 1.1; }
.kpi .label, .stat .label { color: #64748b; font-size: 13px; }
.kpi .trend { font-size: 17px; font-weight: 600; margin-top: 8px; }
.kpi .trend .vs { color: #64748b; font-weight: 400; font-size: 14px; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0 4px; }
.stat { flex: 1 1 150px; border: 1px solid #e2e8f0; border-radius: 10px; padding: 10px 14px; }
.stat .value { font-size: 26px; font-weight: 700; }
.stat .pct { color: #475569; font-size: 15px; font-weight: 500; margin-left: 4px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px;
          margin-right: 6px; }
.empty { color: #64748b; padding: 40px 0; text-align: center; }
footer { color: #64748b; font-size: 12px; text-align: center; }
"""


def _count(value: int) -> str:
    return f"{value:,}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _month_label(month: str, separator: str = " ") -> str:
    return date.fromisoformat(f"{month}-01").strftime(f"%b{separator}%Y")


def _layout(fig: go.Figure, height: int, **extra: Any) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        font={"family": FONT, "size": 13, "color": "#334155"},
        **{"margin": {"l": 48, "r": 16, "t": 16, "b": 40}, **extra},
    )
    return fig


def _users_axis(fig: go.Figure, peak: int) -> None:
    """A y axis of whole users from 0 (no 0.2-user ticks for small or empty series)."""
    fig.update_yaxes(
        title_text="users",
        rangemode="tozero",
        tickformat=",d",
        **({"dtick": 1} if peak < 5 else {}),
        **({"range": [0, 1]} if peak == 0 else {}),
    )


def _whatsapp_chip(assistant: Assistant) -> str:
    if assistant.has_whatsapp:
        return ""
    return '\n     <span class="chip">no WhatsApp number: web users only</span>'


def _embed(fig: go.Figure, div_id: str, first: bool) -> str:
    """The figure as a <div>; the first one carries plotly's JavaScript for the whole page."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=first,
        div_id=div_id,
        default_height=f"{fig.layout.height}px",
        config={"displayModeBar": False, "responsive": True},
    )


# --------------------------------------------------------------------------- figures


def evolution_figure(view: dict[str, Any]) -> go.Figure:
    """The Dashboard's 12 months, the as-of month in the trend colour."""
    months = view["evolution"]
    current = TREND_COLORS.get(view["color"], view["color"])
    fig = go.Figure(
        go.Bar(
            x=[f"{point['month']}-01" for point in months],
            y=[point["users"] for point in months],
            text=[_count(point["users"]) for point in months],
            textposition="outside",
            cliponaxis=False,
            marker={"color": [PAST_MONTH_COLOR] * (len(months) - 1) + [current]},
            customdata=[_month_label(point["month"]) for point in months],
            hovertemplate="%{customdata}: %{y:,} users<extra></extra>",
        )
    )
    _users_axis(fig, max(point["users"] for point in months))
    # a date axis, not 12 categories: plotly then labels as many months as the width holds
    # (every one on a wide screen, every second or third on a phone) instead of squeezing
    fig.update_xaxes(type="date", tickformat="%b<br>%Y", ticklabelmode="instant")
    # a bar's count that does not fit at the chart's width is hidden, not shrunk or overlapped
    return _layout(fig, 300, bargap=0.3, uniformtext={"minsize": 10, "mode": "hide"})


def ring_figure(view: dict[str, Any]) -> go.Figure:
    """The Sessions ring: unique vs recurring users, the total in the middle."""
    fig = go.Figure(
        go.Pie(
            labels=["Unique users", "Recurring users"],
            values=[view["unique_users"], view["recurring_users"]],
            text=[_pct(view["unique_pct"]), _pct(view["recurring_pct"])],
            textinfo="text",
            hole=0.62,
            sort=False,
            direction="clockwise",
            marker={
                "colors": [UNIQUE_COLOR, RECURRING_COLOR],
                "line": {"color": "#fff", "width": 2},
            },
            textfont={"size": 14, "color": "#fff"},
            hovertemplate="%{label}: %{value:,}<extra></extra>",
        )
    )
    fig.add_annotation(
        text=f"<b>{_count(view['total_users'])}</b><br>users",
        showarrow=False,
        font={"size": 22, "color": "#0f172a"},
    )
    return _layout(fig, 300, showlegend=False, margin={"l": 8, "r": 8, "t": 8, "b": 8})


def series_figure(view: dict[str, Any]) -> go.Figure:
    """The Customers line graph: one point per bucket for each of the four counts."""
    buckets = [point["bucket_start"] for point in view["series"]]
    fig = go.Figure(
        [
            go.Scatter(
                x=buckets,
                y=[point[field] for point in view["series"]],
                name=label,
                mode="lines+markers",
                line={"color": color, "width": 2.5},
                marker={"size": 6},
            )
            for field, label, color in SERIES
        ]
    )
    fig.update_xaxes(
        title_text=f"{view['grain']} starting",
        type="date",
        tickformat=TICK_FORMATS[view["grain"]],
    )
    _users_axis(fig, max(point["active_users"] for point in view["series"]))
    return _layout(
        fig,
        340,
        hovermode="x unified",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"l": 48, "r": 16, "t": 36, "b": 48},
    )


# --------------------------------------------------------------------------- HTML


def _stat(label: str, value: int, pct: float | None = None, color: str | None = None) -> str:
    swatch = f'<span class="swatch" style="background:{color}"></span>' if color else ""
    share = f'<span class="pct">{html.escape(_pct(pct))}</span>' if pct is not None else ""
    return (
        f'<div class="stat"><div class="label">{swatch}{html.escape(label)}</div>'
        f'<div class="value">{html.escape(_count(value))}{share}</div></div>'
    )


def _window_stats(view: dict[str, Any]) -> str:
    return (
        '<div class="stats">'
        + "".join(
            [
                _stat("Total users", view["total_users"]),
                _stat("Unique users", view["unique_users"], view["unique_pct"], UNIQUE_COLOR),
                _stat(
                    "Recurring users",
                    view["recurring_users"],
                    view["recurring_pct"],
                    RECURRING_COLOR,
                ),
            ]
        )
        + "</div>"
    )


def _dashboard_section(view: dict[str, Any]) -> str:
    color = TREND_COLORS.get(view["color"], view["color"])
    change = (
        "n/a" if view["pct_change"] is None else f"{view['pct_change']:+.1f}%".replace("-", "−")
    )
    return f"""
<section id="dashboard">
  <h2>Dashboard<small>not affected by the date filter · all channels</small></h2>
  <div class="row">
    <div class="kpi">
      <div class="label">users in {html.escape(_month_label(view["month"]))}
        (month to date, as of {html.escape(view["as_of"])})</div>
      <div class="value">{html.escape(_count(view["users"]))}</div>
      <div class="trend" style="color:{html.escape(color)}">
        <span class="arrow">{views.ARROWS[view["trend"]]}</span> {html.escape(change)}
        <span class="vs">vs last month ({html.escape(_count(view["previous_month_users"]))})
        </span>
      </div>
    </div>
    <div class="chart">{_embed(evolution_figure(view), "dashboard-evolution", first=True)}</div>
  </div>
</section>"""


def _no_users(view: dict[str, Any], assistant: Assistant) -> str:
    """Why a window has no users: none came, or the channel does not exist for the assistant."""
    if view["channel"] == "whatsapp" and not assistant.has_whatsapp:
        text = (
            f"No WhatsApp users: {assistant.name} has no WhatsApp number "
            "(its whatsapp_phone_number_id is empty in assistants.csv)."
        )
    else:
        text = "No users in this window."
    return f'<p class="empty">{html.escape(text)}</p>'


def _sessions_section(view: dict[str, Any], assistant: Assistant) -> str:
    chart = (
        _embed(ring_figure(view), "sessions-ring", first=False)
        if view["total_users"]
        else _no_users(view, assistant)
    )
    return f"""
<section id="sessions">
  <h2>Sessions<small>unique users: one session in the window · recurring: two or more</small></h2>
  <div class="row">
    <div class="chart" style="flex: 0 1 360px">{chart}</div>
    <div style="flex: 1 1 400px">{_window_stats(view)}</div>
  </div>
</section>"""


def _customers_section(view: dict[str, Any], assistant: Assistant) -> str:
    chart = (
        _embed(series_figure(view), "customers-series", first=False)
        if view["total_users"] or assistant.has_whatsapp or view["channel"] != "whatsapp"
        else _no_users(view, assistant)
    )
    return f"""
<section id="customers">
  <h2>Customers<small>users per {html.escape(view["grain"])}; new users: first session ever
    </small></h2>
  {_window_stats(view)}
  <div class="chart">{chart}</div>
</section>"""


@dataclass(frozen=True)
class Assistant:
    name: str
    has_whatsapp: bool = True


def _assistant(con: duckdb.DuckDBPyConnection, assistant_id: str) -> Assistant:
    sql = load_sql("report_assistant")
    row = con.execute(sql, [assistant_id]).fetchone()
    return Assistant(row[0] or assistant_id, bool(row[1])) if row else Assistant(assistant_id)


def render_report(
    name: str | Assistant,
    dashboard: dict[str, Any],
    sessions: dict[str, Any],
    customers: dict[str, Any],
) -> str:
    """The whole page from the three views (SPEC §5 shapes)."""
    assistant = name if isinstance(name, Assistant) else Assistant(name)
    name = assistant.name
    days = (date.fromisoformat(sessions["to"]) - date.fromisoformat(sessions["from"])).days + 1
    channel = CHANNEL_LABELS.get(sessions["channel"], sessions["channel"])
    window = f"{sessions['from']} to {sessions['to']}"
    title = f"{name} · {window} · {channel}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{GENERATOR}
<title>{html.escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
  <h1>{html.escape(name)}<span class="id">{html.escape(sessions["assistant_id"])}</span></h1>
  <p><span class="chip">window {html.escape(window)} ({days} days)</span>
     <span class="chip">channel {html.escape(channel)}</span>{_whatsapp_chip(assistant)}</p>
</header>
{_dashboard_section(dashboard)}
{_sessions_section(sessions, assistant)}
{_customers_section(customers, assistant)}
<footer>Chat Warehouse report · counts of pseudonymous users; no personal data.</footer>
</main>
</body>
</html>
"""


def write_report(con: duckdb.DuckDBPyConnection, window: Window, out: Path) -> Path:
    """Query the three views for ``window`` and write them as one HTML file at ``out``."""
    sessions = views.sessions(con, window)
    page = render_report(
        _assistant(con, window.assistant_id),
        views.dashboard(con, window.assistant_id, window.to_date),
        sessions,
        views.customers(con, window),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out
