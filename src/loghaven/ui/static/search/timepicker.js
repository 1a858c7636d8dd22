// The search bar's time range and auto-refresh: a button showing the range as people read
// it ("Last 15 minutes", or two dates) that opens a panel with OpenSearch Dashboards' quick
// ranges, a relative "last N units" form, an absolute form and the refresh interval.

import { h } from "../lib.js";
import { parseDateMath } from "./query.js";

// OpenSearch Dashboards' default `timepicker:quickRanges`, in its order.
export const QUICK_RANGES = [
  { from: "now/d", to: "now/d", label: "Today" },
  { from: "now/w", to: "now/w", label: "This week" },
  { from: "now-15m", to: "now", label: "Last 15 minutes" },
  { from: "now-30m", to: "now", label: "Last 30 minutes" },
  { from: "now-1h", to: "now", label: "Last 1 hour" },
  { from: "now-24h", to: "now", label: "Last 24 hours" },
  { from: "now-7d", to: "now", label: "Last 7 days" },
  { from: "now-30d", to: "now", label: "Last 30 days" },
  { from: "now-90d", to: "now", label: "Last 90 days" },
  { from: "now-1y", to: "now", label: "Last 1 year" },
];

// `timepicker:refreshIntervalDefaults` choices: 0 is off.
export const REFRESH_INTERVALS = [
  [0, "Off"], [5e3, "5 seconds"], [1e4, "10 seconds"], [3e4, "30 seconds"], [6e4, "1 minute"],
  [3e5, "5 minutes"], [9e5, "15 minutes"], [36e5, "1 hour"],
];

const UNIT_NAMES = { s: "second", m: "minute", h: "hour", d: "day", w: "week", M: "month", y: "year" };

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n) => String(n).padStart(2, "0");

// OpenSearch Dashboards' `dateFormat` (MMM D, YYYY @ HH:mm:ss.SSS) without the milliseconds.
export function formatDate(ms) {
  const d = new Date(ms);
  return `${MONTHS[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()} @ ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function describeEnd(text, roundUp) {
  if (text === "now") return "now";
  const relative = /^now-(\d+)([smhdwMy])$/.exec(text);
  if (relative) return `${relative[1]} ${UNIT_NAMES[relative[2]]}${relative[1] === "1" ? "" : "s"} ago`;
  if (String(text).startsWith("now")) return text;  // rounded date math as written: "now-1d/d"
  const ms = parseDateMath(text, { roundUp });
  return ms === null ? String(text) : formatDate(ms);
}

// The range as OpenSearch Dashboards' pretty duration: a quick range's label, "Last N
// units", or "from → to".
export function describeTime(time) {
  const quick = QUICK_RANGES.find((range) => range.from === time.from && range.to === time.to);
  if (quick) return quick.label;
  const last = /^now-(\d+)([smhdwMy])$/.exec(time.from);
  if (last && time.to === "now") return `Last ${last[1]} ${UNIT_NAMES[last[2]]}${last[1] === "1" ? "" : "s"}`;
  return `${describeEnd(time.from, false)} → ${describeEnd(time.to, true)}`;
}

export function describeRefresh(refresh) {
  if (refresh.pause || !refresh.value) return "Off";
  return REFRESH_INTERVALS.find(([ms]) => ms === refresh.value)?.[1] ?? `${Math.round(refresh.value / 1000)} seconds`;
}

// A datetime-local input's value ("2026-12-05T01:30:00") for an instant, in local time.
function localInput(ms) {
  if (ms === null || Number.isNaN(ms)) return "";
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 6e4);
  return date.toISOString().slice(0, 19);
}

let pickers = 0;

// `onTime({from, to})` when a range is chosen, `onRefresh({pause, value})` when the interval
// changes. The picker shows what setTime/setRefresh give it.
export class TimePicker {
  constructor({ time, refresh, onTime, onRefresh }) {
    const id = `timepicker-${++pickers}`;
    this.onTime = onTime;
    this.onRefresh = onRefresh;
    this.button = h("button", { type: "button", class: "time-button secondary", "aria-haspopup": "dialog", "aria-expanded": "false",
      "aria-controls": id, onclick: () => this.toggle() });
    this.count = h("input", { type: "number", min: "1", value: "15", class: "relative-count", "aria-label": "Number of units" });
    this.unit = h("select", { class: "relative-unit", "aria-label": "Unit of time" },
      Object.entries(UNIT_NAMES).map(([unit, name]) => h("option", { value: unit, selected: unit === "m" }, `${name}s`)));
    this.start = h("input", { type: "datetime-local", step: "1", class: "absolute-start", required: true });
    this.end = h("input", { type: "datetime-local", step: "1", class: "absolute-end", required: true });
    this.absoluteError = h("p", { class: "error", role: "alert", hidden: true });
    this.interval = h("select", { class: "refresh-interval", onchange: () => {
      const value = Number(this.interval.value);
      this.onRefresh({ pause: value === 0, value });
    } }, REFRESH_INTERVALS.map(([ms, label]) => h("option", { value: String(ms) }, label)));
    this.panel = h("div", { id, class: "time-panel popover", role: "dialog", "aria-label": "Time range", hidden: true,
      onkeydown: (event) => { if (event.key === "Escape") { event.stopPropagation(); this.close(true); } } },
      h("form", { class: "relative-range", onsubmit: (event) => { event.preventDefault(); this.choose({ from: `now-${Math.max(1, Number(this.count.value) || 1)}${this.unit.value}`, to: "now" }); } },
        h("h4", {}, "Quick select"),
        h("div", { class: "row" }, h("span", {}, "Last"), this.count, this.unit, h("button", { type: "submit", class: "small" }, "Apply"))),
      h("div", { class: "quick-ranges" }, h("h4", {}, "Commonly used"),
        h("ul", {}, QUICK_RANGES.map((range) => h("li", {}, h("button", { type: "button", class: "link quick-range", onclick: () => this.choose({ from: range.from, to: range.to }) }, range.label))))),
      h("form", { class: "absolute-range", onsubmit: (event) => { event.preventDefault(); this.applyAbsolute(); } },
        h("h4", {}, "Absolute"),
        h("label", { class: "field" }, h("span", { class: "label" }, "Start date"), this.start),
        h("label", { class: "field" }, h("span", { class: "label" }, "End date"), this.end),
        this.absoluteError,
        h("button", { type: "submit", class: "small" }, "Apply")),
      h("label", { class: "field refresh" }, h("span", { class: "label" }, "Refresh every"), this.interval));
    this.element = h("div", { class: "time-picker" }, this.button, this.panel);
    this.outside = (event) => { if (!this.element.contains(event.target)) this.close(false); };
    document.addEventListener("mousedown", this.outside);
    this.setTime(time);
    this.setRefresh(refresh);
  }

  setTime(time) {
    this.time = { ...time };
    const refreshing = this.refresh && !this.refresh.pause && this.refresh.value;
    this.button.replaceChildren(h("span", { class: "time-icon", "aria-hidden": "true" }, refreshing ? "↻" : "◷"), " ", describeTime(this.time));
    this.button.setAttribute("aria-label", `Time range: ${describeTime(this.time)}${refreshing ? `, refreshing every ${describeRefresh(this.refresh)}` : ""}. Change`);
  }

  setRefresh(refresh) {
    this.refresh = { ...refresh };
    this.interval.value = String(refresh.pause ? 0 : refresh.value);
    if (this.interval.selectedIndex < 0) this.interval.value = "0";
    this.setTime(this.time);
  }

  toggle() { if (this.panel.hidden) this.open(); else this.close(true); }

  open() {
    const now = Date.now();
    this.start.value = localInput(parseDateMath(this.time.from, { now }));
    this.end.value = localInput(parseDateMath(this.time.to, { roundUp: true, now }));
    this.absoluteError.hidden = true;
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.panel.querySelector("button.quick-range").focus();
  }

  close(refocus) {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) this.button.focus();
  }

  choose(time) {
    this.setTime(time);
    this.close(true);
    this.onTime({ ...time });
  }

  // datetime-local values are local times; the state keeps them as ISO instants, as
  // OpenSearch Dashboards' absolute tab does.
  applyAbsolute() {
    const from = new Date(this.start.value);
    const to = new Date(this.end.value);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from > to) {
      this.absoluteError.textContent = "Give a start date before the end date.";
      this.absoluteError.hidden = false;
      return;
    }
    this.choose({ from: from.toISOString(), to: to.toISOString() });
  }

  destroy() { document.removeEventListener("mousedown", this.outside); }
}
