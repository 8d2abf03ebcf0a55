"""The HTML report: the real `chatwh report` on the simulated warehouse, opened in a real
headless Chromium (Debian's package; `make browser` installs it).

The browser runs with every host name unresolvable, so the plots it draws prove the page
works offline; its screenshot is decoded here (PNG by hand: zlib, numpy) and must show the
plot colours.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from orchestration.report import (
    RECURRING_COLOR,
    SERIES,
    TREND_COLORS,
    UNIQUE_COLOR,
    render_report,
)
from tests.conftest import Deployment

pytestmark = pytest.mark.xdist_group("simulated")

WINDOW = ("--assistant", "acme-support", "--from", "2026-01-01", "--to", "2026-02-14")
AS_OF = "2026-02-14"
PLOT_IDS = ("dashboard-evolution", "sessions-ring", "customers-series")
SCREEN = (1280, 2000)
NARROW = 420  # a phone held upright; Chromium's window is at least 500 px, so a frame of it
NARROW_HEIGHT = 3000  # the whole report at that width, without a scroll bar in the frame
# Measures, once the page has drawn, the viewport, the page's width and every chart's box
# and x tick labels, and hands them to the framing page (a file:// frame is another origin).
PROBE = """<script>
window.addEventListener('load', () => setTimeout(() => {
  const box = (element) => {
    const rect = element.getBoundingClientRect();
    return [rect.left, rect.right];
  };
  const plots = [...document.querySelectorAll('.js-plotly-plot')].map((plot) => ({
    id: plot.id,
    boxes: [box(plot), ...[...plot.querySelectorAll('svg.main-svg')].map(box)],
    ticks: [...plot.querySelectorAll('.xtick text')].map(box),
  }));
  const page = document.documentElement.scrollWidth;
  const height = document.documentElement.scrollHeight;
  parent.postMessage(JSON.stringify({viewport: window.innerWidth, page, height, plots}), '*');
}, 500));
</script>"""
FRAME = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe src="{page}" style="border:0; width:{width}px; height:{height}px; display:block"></iframe>
<pre id="measured"></pre>
<script>
window.addEventListener('message', (event) => {{
  document.getElementById('measured').textContent = event.data;
}});
</script>
</body></html>
"""
BACKGROUND = (0xF1, 0xF5, 0xF9)  # the page's background (CSS #f1f5f9)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no network at all: the page must not need it
)


@dataclass(frozen=True)
class Report:
    path: Path
    text: str
    dashboard: dict
    sessions: dict
    customers: dict


@pytest.fixture(scope="module")
def report(simulated: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Report:
    out = tmp_path_factory.mktemp("report") / "r.html"
    completed = simulated.chatwh("report", *WINDOW, "--out", str(out))
    assert completed.stdout.strip() == f"wrote {out}"

    def view(*args: str) -> dict:
        return json.loads(simulated.chatwh(*args, "--json").stdout)

    return Report(
        out,
        out.read_text(encoding="utf-8"),
        view("dashboard", "--assistant", "acme-support", "--as-of", AS_OF),
        view("sessions", *WINDOW),
        view("customers", *WINDOW),
    )


def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.fail(
            "Chromium is missing: the report test needs Debian's headless browser at "
            "/usr/bin/chromium (run `make browser`, i.e. apt-get install -y chromium)",
            pytrace=False,
        )
    return path


def framed(page_text: str, folder: Path, width: int, height: int) -> Path:
    """The page (with the probe) in a frame ``width`` px wide: a real viewport that narrow."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page.html").write_text(page_text.replace("</body>", f"{PROBE}</body>"), "utf-8")
    frame = folder / "frame.html"
    frame.write_text(FRAME.format(page="page.html", width=width, height=height), "utf-8")
    return frame


def run_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium with a fresh profile; fails the test unless it exits 0."""
    completed = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, f"chromium exited {completed.returncode}:\n{completed.stderr}"
    console = [line for line in completed.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], "the page wrote to the browser console:\n" + "\n".join(console)
    return completed


def visible_text(markup: str) -> str:
    """The page's text as a reader sees it: scripts and tags removed, spaces collapsed."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def section(markup: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', markup, flags=re.S)
    assert match, f"no <section id={name!r}> in the report"
    return visible_text(match.group(1))


# --------------------------------------------------------------------------- PNG by hand


def png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG into a (height, width, 3) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"
    chunks, position = {}, 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        chunks[kind] = chunks.get(kind, b"") + data[position + 8 : position + 8 + length]
        position += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color, interlace) in {(8, 2, 0), (8, 6, 0)}, "unexpected PNG format"
    channels = 3 if color == 2 else 4
    stride = width * channels
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, stride + 1)
    image = np.zeros((height, stride), np.uint8)
    previous = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:  # None
            current = line.copy()
        elif kind == 1:  # Sub: a running sum per channel, modulo 256
            sums = np.cumsum(line.reshape(width, channels), axis=0, dtype=np.uint64)
            current = (sums % 256).astype(np.uint8).reshape(stride)
        elif kind == 2:  # Up (uint8 arithmetic wraps modulo 256)
            current = line + previous
        else:  # Average, Paeth: each byte depends on the one just decoded
            current = _unfilter_sequential(int(kind), line.tobytes(), previous.tobytes(), channels)
        image[y] = previous = current
    return image.reshape(height, width, channels)[:, :, :3]


def _unfilter_sequential(kind: int, line: bytes, above: bytes, step: int) -> np.ndarray:
    assert kind in (3, 4), f"unknown PNG filter {kind}"
    out = bytearray(len(line))
    for i, value in enumerate(line):
        left = out[i - step] if i >= step else 0
        up = above[i]
        if kind == 3:
            predicted = (left + up) >> 1
        else:
            corner = above[i - step] if i >= step else 0
            guess = left + up - corner
            to_left, to_up, to_corner = abs(guess - left), abs(guess - up), abs(guess - corner)
            predicted = (
                left
                if to_left <= to_up and to_left <= to_corner
                else up
                if to_up <= to_corner
                else corner
            )
        out[i] = (value + predicted) & 0xFF
    return np.frombuffer(bytes(out), np.uint8)


def rgb(hex_color: str) -> tuple[int, int, int]:
    value = int(hex_color.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


# --------------------------------------------------------------------------- tests


def test_report_is_one_self_contained_page(report: Report) -> None:
    page = report.text
    assert page.startswith("<!DOCTYPE html>")
    external = re.findall(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^>]*",
        page,
        flags=re.I,
    )
    assert external == [], f"the page loads from the network: {external}"
    assert re.search(r"<script\b[^>]*\bsrc\s*=", page, flags=re.I) is None
    assert page.count("window.PlotlyConfig") == 1, "plotly.js must be inlined exactly once"
    for plot in PLOT_IDS:
        assert f'id="{plot}"' in page
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert html.unescape(title) == "Acme Support · 2026-01-01 to 2026-02-14 · web + WhatsApp"


def test_report_shows_the_numbers_of_the_views(report: Report) -> None:
    sessions, dashboard, customers = report.sessions, report.dashboard, report.customers
    counts = (
        f"Total users {sessions['total_users']:,} "
        f"Unique users {sessions['unique_users']:,} {sessions['unique_pct']:.1f}% "
        f"Recurring users {sessions['recurring_users']:,} {sessions['recurring_pct']:.1f}%"
    )
    assert counts in section(report.text, "sessions")
    assert sessions["total_users"] > sessions["unique_users"] > 0  # a window worth drawing
    customer_counts = (customers["total_users"], customers["unique_users"])
    assert customer_counts == (sessions["total_users"], sessions["unique_users"])
    assert counts in section(report.text, "customers")
    assert f"users per {customers['grain']}" in section(report.text, "customers")

    arrow = {"up": "▲", "down": "▼", "neutral": "■"}[dashboard["trend"]]
    change = f"{dashboard['pct_change']:+.1f}%".replace("-", "−")
    assert (
        f"{dashboard['users']:,} {arrow} {change} "
        f"vs last month ({dashboard['previous_month_users']:,})"
    ) in section(report.text, "dashboard")
    trend_style = f'<div class="trend" style="color:{TREND_COLORS[dashboard["color"]]}">'
    assert trend_style in report.text


def test_report_escapes_every_text(report: Report) -> None:
    hostile = "<script>alert(1)</script> & Co"
    sessions = {**report.sessions, "assistant_id": hostile}
    page = render_report(hostile, report.dashboard, sessions, report.customers)
    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page


def test_report_renders_in_headless_chromium(report: Report, tmp_path: Path) -> None:
    dom = run_chromium(report.path, tmp_path / "profile-dom", "--dump-dom").stdout
    # plotly marks a drawn plot with js-plotly-plot and draws into main-svg elements
    for plot in PLOT_IDS:
        assert re.search(rf'<div id="{plot}" class="[^"]*\bjs-plotly-plot\b', dom), (
            f"plot {plot} was not drawn"
        )
    assert dom.count('class="main-svg"') >= 2 * len(PLOT_IDS)
    sessions = report.sessions
    for pct in (sessions["unique_pct"], sessions["recurring_pct"]):
        assert re.search(rf">{pct:.1f}%</text>", dom), f"ring slice {pct:.1f}% not drawn"

    shot = tmp_path / "report.png"
    run_chromium(
        report.path,
        tmp_path / "profile-shot",
        f"--screenshot={shot}",
        f"--window-size={SCREEN[0]},{SCREEN[1]}",
    )
    pixels = png_pixels(shot.read_bytes())
    assert pixels.shape == (SCREEN[1], SCREEN[0], 3)
    colors = Counter(map(tuple, pixels.reshape(-1, 3).tolist()))
    # the page background and the white cards cover most of it; the plots draw in colour
    assert colors[BACKGROUND] + colors[rgb("#ffffff")] > 0.6 * pixels.shape[0] * pixels.shape[1]
    assert len(colors) > 50, f"a near-blank screenshot: {len(colors)} colours"
    trend = TREND_COLORS[report.dashboard["color"]]
    for name, color in [
        ("unique", UNIQUE_COLOR),
        ("recurring", RECURRING_COLOR),
        ("trend", trend),
        *((label, color) for _, label, color in SERIES),
    ]:
        assert colors[rgb(color)] > 500, f"the {name} colour {color} is missing from the page"


def test_report_fits_a_phone_screen(report: Report, tmp_path: Path) -> None:
    """At 420 px wide nothing is cut off or scrolls sideways, and no tick label of a chart
    runs into the next one."""
    window = f"--window-size=500,{NARROW_HEIGHT}"
    frame = framed(report.text, tmp_path / "narrow", NARROW, NARROW_HEIGHT)
    dom = run_chromium(frame, tmp_path / "profile-narrow", "--dump-dom", window).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, flags=re.S)
    assert found and found.group(1), "the page in the frame did not report its layout"
    measured = json.loads(html.unescape(found.group(1)))
    assert measured["viewport"] == NARROW
    assert measured["page"] <= NARROW, f"the page scrolls sideways: {measured['page']} px wide"
    assert measured["height"] <= NARROW_HEIGHT, "the report is taller than the frame"
    plots = {plot["id"]: plot for plot in measured["plots"]}
    assert set(plots) == set(PLOT_IDS)
    for plot_id, plot in plots.items():
        for left, right in plot["boxes"] + plot["ticks"]:
            assert 0 <= left < right <= NARROW, f"{plot_id} leaves the screen: {left}..{right}"
        ticks = sorted(plot["ticks"])
        for (_, right), (left, _) in itertools.pairwise(ticks):
            assert right <= left, f"{plot_id}: tick labels overlap ({right} > {left})"
    for plot_id in ("dashboard-evolution", "customers-series"):
        assert len(plots[plot_id]["ticks"]) >= 3, f"{plot_id} labels too few dates"

    shot = tmp_path / "narrow.png"
    run_chromium(
        framed(report.text, tmp_path / "narrow-shot", NARROW, NARROW_HEIGHT),
        tmp_path / "profile-narrow-shot",
        f"--screenshot={shot}",
        window,
    )
    pixels = png_pixels(shot.read_bytes())[:, :NARROW]
    colors = Counter(map(tuple, pixels.reshape(-1, 3).tolist()))
    for name, color in [("unique", UNIQUE_COLOR), ("recurring", RECURRING_COLOR)] + [
        (label, color) for _, label, color in SERIES
    ]:
        assert colors[rgb(color)] > 100, f"the {name} colour {color} is missing at 420 px"


def test_no_users_says_why(simulated: Deployment, tmp_path: Path) -> None:
    """An assistant without a WhatsApp number has no WhatsApp users: the report says so."""
    out = tmp_path / "initech.html"
    window = ("--from", "2026-01-01", "--to", "2026-02-14", "--channel", "whatsapp")
    simulated.chatwh("report", "--assistant", "initech-help", *window, "--out", str(out))
    page = out.read_text(encoding="utf-8")
    reason = (
        "No WhatsApp users: Initech Help has no WhatsApp number "
        "(its whatsapp_phone_number_id is empty in assistants.csv)."
    )
    assert reason in section(page, "sessions") and reason in section(page, "customers")
    assert "no WhatsApp number: web users only" in visible_text(page)

    empty = tmp_path / "acme-2025.html"
    window = ("--from", "2025-01-01", "--to", "2025-01-31", "--channel", "whatsapp")
    simulated.chatwh("report", "--assistant", "acme-support", *window, "--out", str(empty))
    page = empty.read_text(encoding="utf-8")
    assert "No users in this window." in section(page, "sessions")
    assert "WhatsApp number" not in visible_text(page)
