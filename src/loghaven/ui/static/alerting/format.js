// How the alerting pages show times and schedules.

import { h } from "../lib.js";

// An epoch-millisecond time as UTC "2026-12-04 18:20:05", or a dash.
export function when(ms) {
  if (ms === null || ms === undefined) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: new Date(ms).toISOString() }, new Date(ms).toISOString().replace("T", " ").slice(0, 19));
}

export function scheduleText(schedule) {
  if (schedule?.period) return `every ${schedule.period.interval} ${schedule.period.unit.toLowerCase()}`;
  if (schedule?.cron) return `cron ${schedule.cron.expression} (${schedule.cron.timezone || "UTC"})`;
  return "—";
}

// A long text (an error, a status) cut to `limit` characters; the whole in its title.
export function clipped(text, limit = 160) {
  if (!text) return h("span", { class: "muted" }, "—");
  return h("span", { title: text, class: "clipped" }, text.length > limit ? `${text.slice(0, limit)}…` : text);
}
