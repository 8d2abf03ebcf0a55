// The interactive page of chatwh serve: the Dashboard, Sessions and Customers modules of one
// assistant, redrawn from the /v1 API whenever the window, the channel or the grain changes.
// The API key is asked once and kept in this tab's sessionStorage only. Every text from the
// API is set with textContent (never parsed as HTML); the charts are plotly's.
"use strict";

const KEY = "chatwh.key";
const TREND_COLORS = { green: "#15803d", red: "#dc2626", blue: "#2563eb" };
const ARROWS = { up: "\u25B2", down: "\u25BC", neutral: "\u25A0" };
const PAST_MONTH = "#cbd5e1";
const UNIQUE = "#0891b2";
const RECURRING = "#7c3aed";
const SERIES = [
  ["active_users", "Active users", "#334155"],
  ["unique_users", "Unique users", UNIQUE],
  ["recurring_users", "Recurring users", RECURRING],
  ["new_users", "New users", "#f59e0b"],
];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const PLOT_CONFIG = { displayModeBar: false, responsive: true };
const FONT = { family: "system-ui, sans-serif", size: 13, color: "#334155" };

const $ = (id) => document.getElementById(id);
let generation = 0; // the newest refresh; older answers are dropped when they arrive late

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value) url.searchParams.set(name, value);
  }
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY)}` },
  });
  const body = await response.json().catch(() => ({ detail: response.statusText }));
  if (!response.ok) throw new ApiError(response.status, body.detail || response.statusText);
  return body;
}

// ------------------------------------------------------------------------ formatting

const count = (value) => value.toLocaleString("en-US");
const pct = (value) => (value === null ? "\u2014" : `${value.toFixed(1)}%`);
const signed = (value) =>
  value === null ? "n/a" : `${value > 0 ? "+" : value < 0 ? "\u2212" : ""}${Math.abs(value).toFixed(1)}%`;

function monthLabel(month, separator = " ") {
  const [year, number] = month.split("-");
  return `${MONTHS[Number(number) - 1]}${separator}${year}`;
}

function isoDate(day) {
  const local = new Date(day.getTime() - day.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

function daysBefore(text, days) {
  const day = new Date(`${text}T12:00:00`);
  day.setDate(day.getDate() - days);
  return isoDate(day);
}

function layout(extra) {
  return {
    font: FONT,
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
    margin: { l: 64, r: 16, t: 16, b: 40 },
    ...extra,
  };
}

function usersAxis(peak) {
  return {
    title: { text: "users" },
    rangemode: "tozero",
    tickformat: ",d",
    gridcolor: "#e2e8f0",
    ...(peak < 5 ? { dtick: 1 } : {}),
    ...(peak === 0 ? { range: [0, 1] } : {}),
  };
}

// ------------------------------------------------------------------------ the modules

function renderDashboard(view) {
  $("dashboard-month").textContent = monthLabel(view.month);
  $("dashboard-as-of").textContent = view.as_of;
  $("dashboard-users").textContent = count(view.users);
  $("dashboard-arrow").textContent = ARROWS[view.trend];
  $("dashboard-change").textContent = signed(view.pct_change);
  $("dashboard-previous").textContent = count(view.previous_month_users);
  $("dashboard-trend").className = `trend ${view.color}`;
  const months = view.evolution;
  const last = months.length - 1;
  Plotly.react(
    "dashboard-evolution",
    [
      {
        type: "bar",
        x: months.map((point) => monthLabel(point.month, "<br>")),
        y: months.map((point) => point.users),
        text: months.map((point) => count(point.users)),
        textposition: "outside",
        cliponaxis: false,
        marker: { color: months.map((_, i) => (i === last ? TREND_COLORS[view.color] : PAST_MONTH)) },
        hovertemplate: "%{y:,} users<extra></extra>",
      },
    ],
    layout({
      bargap: 0.3,
      xaxis: { type: "category" },
      yaxis: usersAxis(Math.max(...months.map((point) => point.users))),
    }),
    PLOT_CONFIG,
  );
}

function renderTotals(prefix, view) {
  $(`${prefix}-total`).textContent = count(view.total_users);
  $(`${prefix}-unique`).textContent = count(view.unique_users);
  $(`${prefix}-unique-pct`).textContent = pct(view.unique_pct);
  $(`${prefix}-recurring`).textContent = count(view.recurring_users);
  $(`${prefix}-recurring-pct`).textContent = pct(view.recurring_pct);
}

function renderSessions(view) {
  renderTotals("sessions", view);
  const empty = view.total_users === 0;
  $("sessions-empty").hidden = !empty;
  $("sessions-ring").hidden = empty;
  if (empty) return;
  Plotly.react(
    "sessions-ring",
    [
      {
        type: "pie",
        labels: ["Unique users", "Recurring users"],
        values: [view.unique_users, view.recurring_users],
        text: [pct(view.unique_pct), pct(view.recurring_pct)],
        textinfo: "text",
        hole: 0.62,
        sort: false,
        direction: "clockwise",
        marker: { colors: [UNIQUE, RECURRING], line: { color: "#fff", width: 2 } },
        textfont: { size: 14, color: "#fff" },
        hovertemplate: "%{label}: %{value:,}<extra></extra>",
      },
    ],
    layout({
      showlegend: false,
      margin: { l: 8, r: 8, t: 8, b: 8 },
      annotations: [
        {
          text: `<b>${count(view.total_users)}</b><br>users`,
          showarrow: false,
          font: { size: 22, color: "#0f172a" },
        },
      ],
    }),
    PLOT_CONFIG,
  );
}

function renderCustomers(view) {
  renderTotals("customers", view);
  $("customers-grain").textContent = view.grain;
  const buckets = view.series.map((point) => point.bucket_start);
  Plotly.react(
    "customers-series",
    SERIES.map(([field, label, color]) => ({
      type: "scatter",
      mode: "lines+markers",
      name: label,
      x: buckets,
      y: view.series.map((point) => point[field]),
      line: { color, width: 2.5 },
      marker: { size: 6 },
    })),
    layout({
      hovermode: "x unified",
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      margin: { l: 64, r: 16, t: 36, b: 48 },
      xaxis: {
        type: "date",
        title: { text: `${view.grain} starting` },
        tickformat: view.grain === "month" ? "%b %Y" : "%b %d",
        gridcolor: "#e2e8f0",
      },
      yaxis: usersAxis(Math.max(0, ...view.series.map((point) => point.active_users))),
    }),
    PLOT_CONFIG,
  );
}

// ------------------------------------------------------------------------ state

function filters() {
  return {
    assistant: $("assistant").value,
    from: $("from").value,
    to: $("to").value,
    channel: document.querySelector("input[name=channel]:checked").value,
    grain: $("grain").value,
  };
}

function say(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

function askKey(note) {
  generation += 1;
  sessionStorage.removeItem(KEY);
  $("filters").hidden = true;
  $("views").hidden = true;
  $("key-form").hidden = false;
  say(note || "");
  document.body.dataset.state = "key";
  $("api-key").focus();
}

async function refresh() {
  const mine = ++generation;
  const f = filters();
  if (!f.assistant || !f.from || !f.to) return; // a date half typed: wait for the whole of it
  if (f.from > f.to) {
    // refused here, in the API's words, rather than sent for a 422 (ISO dates sort as text)
    say(`from ${f.from} is after to ${f.to}`);
    document.body.dataset.state = "error";
    return;
  }
  document.body.dataset.state = "loading";
  const base = `/v1/assistants/${encodeURIComponent(f.assistant)}`;
  const range = { from: f.from, to: f.to, channel: f.channel };
  try {
    const [dashboard, sessions, customers, health] = await Promise.all([
      api(`${base}/dashboard`, { as_of: f.to }),
      api(`${base}/sessions`, range),
      api(`${base}/customers`, { ...range, grain: f.grain }),
      api("/healthz"),
    ]);
    if (mine !== generation) return;
    $("views").hidden = false;
    renderDashboard(dashboard);
    renderSessions(sessions);
    renderCustomers(customers);
    $("published").textContent = `build published ${health.snapshot_published_at}`;
    say("");
    document.body.dataset.shown = [f.assistant, f.from, f.to, f.channel, f.grain].join("|");
    document.body.dataset.state = "ready";
  } catch (error) {
    if (mine !== generation) return;
    if (error.status === 401) return askKey(`The key was refused: ${error.message}.`);
    say(error.message);
    document.body.dataset.state = "error";
  }
}

async function openPage() {
  let answer;
  try {
    answer = await api("/v1/assistants");
  } catch (error) {
    if (error.status === 401) return askKey(`The key was refused: ${error.message}.`);
    return say(error.message);
  }
  if (answer.assistants.length === 0) return say("This key covers no assistant of the current build.");
  const select = $("assistant");
  select.replaceChildren(
    ...answer.assistants.map((assistant) => {
      const option = document.createElement("option");
      option.value = assistant.assistant_id;
      option.textContent = `${assistant.name} (${assistant.assistant_id})`;
      return option;
    }),
  );
  $("key-form").hidden = true;
  $("filters").hidden = false;
  if (!$("to").value) $("to").value = isoDate(new Date());
  if (!$("from").value) $("from").value = daysBefore($("to").value, 89);
  showName();
  await refresh();
}

function showName() {
  const option = $("assistant").selectedOptions[0];
  $("assistant-name").textContent = option ? option.textContent : "";
}

function wire() {
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("api-key").value.trim());
    $("api-key").value = "";
    openPage();
  });
  $("forget-key").addEventListener("click", () => askKey(""));
  $("assistant").addEventListener("change", () => {
    showName();
    refresh();
  });
  for (const id of ["from", "to", "grain"]) $(id).addEventListener("change", refresh);
  for (const radio of document.querySelectorAll("input[name=channel]")) {
    radio.addEventListener("change", refresh);
  }
  for (const button of document.querySelectorAll(".presets button")) {
    button.title = `${button.textContent} up to the To date`;
    button.addEventListener("click", () => {
      $("from").value = daysBefore($("to").value || isoDate(new Date()), Number(button.dataset.days) - 1);
      refresh();
    });
  }
}

wire();
if (sessionStorage.getItem(KEY)) openPage();
else askKey("");
