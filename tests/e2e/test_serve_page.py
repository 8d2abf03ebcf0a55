"""The interactive page of `chatwh serve`, driven in a real headless Chromium (Debian's
`chromium`, installed by `make browser`) through Playwright: it asks for the key, draws the
three modules with plotly, and when the window, the channel or the grain changes it redraws
them from the API without reloading; the numbers it shows are the API's. Every request the
page makes goes to the server itself (no CDN), and its console stays free of errors (the
page's Content-Security-Policy would report anything loaded from elsewhere). The API docs
render from the installed packages as well.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import Deployment
from tests.support.serve_support import Server, create_key, serving, with_keys

pytestmark = pytest.mark.xdist_group("simulated")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ACME, GLOBEX = "acme-support", "globex-sales"


def shown_number(page: Page, selector: str) -> int:
    return int(page.inner_text(selector).replace(",", ""))


def shown_pct(page: Page, selector: str) -> float | None:
    text = page.inner_text(selector)
    return None if text == "\u2014" else float(text.rstrip("%"))


def assert_page_shows(page: Page, server: Server, key: str, assistant: str, params: dict):
    """The numbers on the page are those the API answers for the same filters."""
    base = f"/v1/assistants/{assistant}"
    window = {name: params[name] for name in ("from", "to", "channel")}
    sessions = server.get(f"{base}/sessions", key, params=window).json()
    grain = {"grain": params["grain"]} if params["grain"] else {}
    customers = server.get(f"{base}/customers", key, params={**window, **grain}).json()
    dashboard = server.get(f"{base}/dashboard", key, params={"as_of": params["to"]}).json()
    for prefix, view in (("sessions", sessions), ("customers", customers)):
        assert shown_number(page, f"#{prefix}-total") == view["total_users"]
        assert shown_number(page, f"#{prefix}-unique") == view["unique_users"]
        assert shown_number(page, f"#{prefix}-recurring") == view["recurring_users"]
        assert shown_pct(page, f"#{prefix}-unique-pct") == view["unique_pct"]
        assert shown_pct(page, f"#{prefix}-recurring-pct") == view["recurring_pct"]
    assert page.inner_text("#customers-grain") == customers["grain"]
    assert shown_number(page, "#dashboard-users") == dashboard["users"]
    assert shown_number(page, "#dashboard-previous") == dashboard["previous_month_users"]
    assert (
        page.inner_text("#dashboard-arrow")
        == {"up": "▲", "down": "▼", "neutral": "■"}[dashboard["trend"]]
    )
    assert dashboard["color"] in page.get_attribute("#dashboard-trend", "class").split()
    change = page.inner_text("#dashboard-change")
    expected = dashboard["pct_change"]
    assert change == ("n/a" if expected is None else f"{expected:+.1f}%".replace("-", "−"))
    # the charts are plotly's, with the API's points
    bars = page.locator("#dashboard-evolution g.point").count()
    assert bars == len(dashboard["evolution"])
    assert page.locator("#customers-series g.trace.scatter").count() == 4
    markers = page.locator("#customers-series g.trace.scatter").first.locator("path.point")
    assert markers.count() == len(customers["series"])
    if sessions["total_users"]:
        assert page.locator("#sessions-ring g.slice").count() == 2


def wait_shown(page: Page, assistant: str, params: dict) -> None:
    shown = "|".join([assistant, params["from"], params["to"], params["channel"], params["grain"]])
    page.wait_for_selector(f'body[data-state=ready][data-shown="{shown}"]', timeout=30_000)


def choose(page: Page, params: dict) -> None:
    """Set the filters as a person does: type the dates, click the channel, pick the grain."""
    page.fill("#from", params["from"])
    page.fill("#to", params["to"])
    page.check(f"input[name=channel][value={params['channel']}]", force=True)
    page.select_option("#grain", params["grain"])


def test_the_page_follows_the_filters_with_the_apis_numbers(simulated: Deployment, tmp_path: Path):
    deployment = with_keys(simulated, tmp_path / "keys.sqlite")
    _, key = create_key(deployment, ACME, GLOBEX)
    requested: list[str] = []
    problems: list[str] = []
    refused: list[str] = []  # every answer of 400 or more the page received
    with serving(deployment, tmp_path / "serve.log") as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1900})
        page.on("request", lambda request: requested.append(request.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("response", lambda r: r.status >= 400 and refused.append(f"{r.status} {r.url}"))

        page.goto(f"{server.url}/app")
        page.wait_for_selector("body[data-state=key]")
        page.fill("#api-key", "cwk_not-a-key")
        page.click("button[type=submit]")
        page.wait_for_selector("#message:has-text('The key was refused')")
        problems.clear()  # the refused key's 401 is reported by the console, as it should
        refused.clear()
        page.fill("#api-key", key)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-state=ready]")
        assert page.locator("#assistant option").all_inner_texts() == [
            "Acme Support (acme-support)",
            "Globex Sales (globex-sales)",
        ]
        loads = sum(url.endswith("/app") for url in requested)

        steps = [
            {"from": "2026-01-01", "to": "2026-02-14", "channel": "all", "grain": ""},
            {"from": "2026-01-01", "to": "2026-02-14", "channel": "whatsapp", "grain": ""},
            {"from": "2026-01-05", "to": "2026-01-25", "channel": "web", "grain": "week"},
            {"from": "2026-02-01", "to": "2026-02-14", "channel": "all", "grain": "day"},
        ]
        for params in steps:
            choose(page, params)
            wait_shown(page, ACME, params)
            assert_page_shows(page, server, key, ACME, params)
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)

        page.select_option("#assistant", GLOBEX)
        wait_shown(page, GLOBEX, steps[-1])
        assert_page_shows(page, server, key, GLOBEX, steps[-1])
        assert page.inner_text("#assistant-name") == "Globex Sales (globex-sales)"

        choose(page, {"from": "2026-02-14", "to": "2026-02-01", "channel": "all", "grain": ""})
        page.wait_for_selector("body[data-state=error]")
        assert page.inner_text("#message") == "from 2026-02-14 is after to 2026-02-01"

        page.goto(f"{server.url}/docs")  # Swagger UI, from the installed package
        page.wait_for_selector(".opblock-summary-path")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert {path.replace("\u200b", "") for path in paths} == {
            "/healthz",
            "/v1/assistants",
            "/v1/assistants/{assistant_id}/dashboard",
            "/v1/assistants/{assistant_id}/sessions",
            "/v1/assistants/{assistant_id}/customers",
        }
        browser.close()

    assert sum(url.endswith("/app") for url in requested) == loads == 1  # never reloaded
    # every request went to the server itself, the API docs' included
    assert all(url.startswith(server.url + "/") for url in requested), requested
    assert f"{server.url}/app/plotly.min.js" in requested
    # nothing went wrong, and the page asked nothing the API refuses: it checks the window
    # itself (the reversed one above was refused without a request), never sending a 4xx
    assert problems == []
    assert refused == []
    assert (tmp_path / "page.png").stat().st_size > 50_000
    assert re.search(
        r"/v1/assistants/acme-support/sessions\?.*channel=whatsapp", " ".join(requested)
    )
