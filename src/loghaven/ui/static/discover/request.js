// What Discover and saved-search panels ask of /_search, and how a hit's fields are read:
// one place, so the page and a dashboard panel show a search the same way.

import { autoInterval, buildQuery, userQuery } from "../search/query.js";

export const PAGE_SIZE = 50;
export const MAX_RESULT_WINDOW = 10000;  // index.max_result_window's default
// OpenSearch Dashboards' highlight tags: text that no log line holds, split out again in marks.
export const PRE_TAG = "@opensearch-dashboards-highlighted-field@";
export const POST_TAG = "@/opensearch-dashboards-highlighted-field@";

// The intervals of the histogram's selector, as Discover offers them.
export const INTERVAL_CHOICES = [
  ["auto", "Auto"], ["m", "Minute"], ["h", "Hour"], ["d", "Day"], ["w", "Week"], ["M", "Month"], ["y", "Year"],
];
const CHOSEN = {
  m: { fixed_interval: "1m", ms: 6e4 }, h: { fixed_interval: "1h", ms: 36e5 }, d: { fixed_interval: "1d", ms: 864e5 },
  w: { calendar_interval: "1w", ms: 6048e5 }, M: { calendar_interval: "1M", ms: 2592e6 }, y: { calendar_interval: "1y", ms: 31536e6 },
};
const MAX_BUCKETS = 200;  // finer than this is unreadable: scaled up, as Discover does
const WORDS = { s: "second", m: "minute", h: "hour", d: "day", w: "week", M: "month", y: "year" };

// "30s" → "30 seconds", "1h" → "hour": the words after "per".
export function intervalWords(name) {
  const [, amount, unit] = /^(\d+)(\w)$/.exec(name) || [null, "1", name];
  return amount === "1" ? WORDS[unit] : `${amount} ${WORDS[unit]}s`;
}

// The date_histogram interval for a choice over bounds: {fixed_interval|calendar_interval,
// ms, name, scaled} — `scaled` when the chosen one would make too many buckets.
export function histogramInterval(choice, bounds) {
  const span = Math.max(1, bounds.max - bounds.min);
  const chosen = CHOSEN[choice];
  if (chosen && span / chosen.ms <= MAX_BUCKETS) return { ...chosen, name: chosen.fixed_interval || chosen.calendar_interval, scaled: false };
  const auto = autoInterval(bounds);
  return { ...auto, name: auto.fixed_interval || auto.calendar_interval, scaled: Boolean(chosen) };
}

// The ES query of a search state, with a saved search's own query (`extra`) ANDed in.
export function searchQuery(state, timeField, extra = null, now = Date.now()) {
  const base = buildQuery(state, timeField, now);
  const own = extra ? userQuery(extra) : null;
  return own ? { bool: { must: [base, own] } } : base;
}

// The sort clause of [[field, "asc"|"desc"]] pairs (OSD's saved `sort`).
export function sortClause(sort) {
  return sort.map(([field, order]) => ({ [field]: { order, unmapped_type: "boolean" } }));
}

// The /_search body of one page of hits, the total and (with a time field) the histogram.
export function searchBody({ query, sort, page = 0, timeField, bounds, interval }) {
  const body = {
    query, sort: sortClause(sort), from: page * PAGE_SIZE, size: PAGE_SIZE, track_total_hits: true, version: true,
    highlight: { pre_tags: [PRE_TAG], post_tags: [POST_TAG], fields: { "*": {} }, fragment_size: 2147483647 },
  };
  if (timeField && interval) {
    const { ms: _ms, name: _name, scaled: _scaled, ...spec } = interval;
    body.aggs = { histogram: { date_histogram: { field: timeField, ...spec, min_doc_count: 0, extended_bounds: { min: bounds.min, max: bounds.max } } } };
  }
  return body;
}

// A document's fields by dotted name ({"a": {"b": 1}} → {"a.b": 1}); arrays are values.
export function flatten(source, prefix = "", out = {}) {
  for (const [key, value] of Object.entries(source || {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === "object" && !Array.isArray(value)) flatten(value, name, out);
    else out[name] = value;
  }
  return out;
}

// A value as a line of text: strings as they are, the rest as JSON.
export function text(value) {
  if (value === undefined) return "-";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && !value.length) return "[]";
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ");
  return JSON.stringify(value);
}
