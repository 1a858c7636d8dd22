// What Discover, Visualize and Dashboards send to /_search: the user's query (Lucene or DSL),
// the filters shown as pills and the time range, as one bool query. Times are date math
// ("now-15m", "now/d") or ISO dates, resolved here so every panel uses the same instant.

const UNITS = { y: "FullYear", M: "Month", w: "Week", d: "Date", h: "Hours", H: "Hours", m: "Minutes", s: "Seconds" };

function floorTo(date, unit) {
  if (unit === "w") {
    floorTo(date, "d");
    date.setDate(date.getDate() - ((date.getDay() + 6) % 7));  // weeks start on Monday
    return date;
  }
  const order = ["y", "M", "d", "h", "m", "s"];
  const from = order.indexOf(unit === "H" ? "h" : unit);
  if (from <= 0) date.setMonth(0);
  if (from <= 1) date.setDate(1);
  if (from <= 2) date.setHours(0);
  if (from <= 3) date.setMinutes(0);
  if (from <= 4) date.setSeconds(0);
  date.setMilliseconds(0);
  return date;
}

// As Java's plusMonths/plusYears: Jan 31 + 1M is Feb 28 (29), not Mar 3.
function add(date, amount, unit) {
  if (unit === "w") { date.setDate(date.getDate() + 7 * amount); return; }
  if (unit === "y" || unit === "M") {
    const day = date.getDate();
    date.setDate(1);
    if (unit === "y") date.setFullYear(date.getFullYear() + amount);
    else date.setMonth(date.getMonth() + amount);
    const last = new Date(date.getFullYear(), date.getMonth() + 1, 0).getDate();
    date.setDate(Math.min(day, last));
    return;
  }
  date[`set${UNITS[unit]}`](date[`get${UNITS[unit]}`]() + amount);
}

// Milliseconds since the epoch of a date-math expression or ISO date, or null when it is
// neither. With roundUp, "now/d" is the day's last millisecond (as ES rounds `lte`).
export function parseDateMath(text, { roundUp = false, now = Date.now() } = {}) {
  const value = String(text ?? "").trim();
  if (!value) return null;
  if (!value.startsWith("now")) {
    const [base, ...math] = value.split("||");
    const parsed = /^\d+$/.test(base) ? Number(base) : Date.parse(base);
    if (Number.isNaN(parsed)) return null;
    return math.length ? parseDateMath(`now${math.join("")}`, { roundUp, now: parsed }) : parsed;
  }
  const date = new Date(now);
  const steps = value.slice(3).match(/[+-]\d+[yMwdhHms]|\/[yMwdhHms]/g) || [];
  if (steps.join("") !== value.slice(3)) return null;
  for (const step of steps) {
    if (step[0] === "/") {
      floorTo(date, step[1]);
      if (roundUp) { add(date, 1, step[1]); date.setMilliseconds(date.getMilliseconds() - 1); }
    } else {
      add(date, Number(step.slice(0, -1)), step.at(-1));
    }
  }
  return date.getTime();
}

// The time range {from, to} as absolute bounds {min, max} in milliseconds.
export function timeBounds(time, now = Date.now()) {
  return { min: parseDateMath(time.from, { now }), max: parseDateMath(time.to, { roundUp: true, now }) };
}

export function rangeFilter(field, bounds) {
  return { range: { [field]: { gte: bounds.min, lte: bounds.max, format: "epoch_millis" } } };
}

// The user's query as an ES clause, or null for an empty one. A DSL query that does not
// parse throws an Error saying so (the query bar shows it).
export function userQuery(query) {
  const text = (query?.query ?? "").trim();
  if (!text) return null;
  if (query.language === "dsl") {
    let parsed;
    try { parsed = JSON.parse(text); } catch (error) { throw new Error(`The query is not JSON: ${error.message}`); }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("A DSL query is a JSON object, e.g. {\"match\": {\"action\": \"BLOCK\"}}");
    return parsed;
  }
  return { query_string: { query: text, analyze_wildcard: true } };
}

// A filter pill as OpenSearch Dashboards stores it (meta + query), "is value" on a field.
export function phraseFilter(field, value, { negate = false, index = undefined } = {}) {
  return {
    meta: { index, negate, disabled: false, alias: null, type: "phrase", key: field, value: String(value), params: { query: value } },
    query: { match_phrase: { [field]: value } },
  };
}

// A pill "field is between gte and lt" (OpenSearch Dashboards' range filter: either bound
// may be missing; `lt` as its filter editor sends it). Bounds are numbers or dates.
export function rangeBetweenFilter(field, { gte, lt } = {}, { negate = false, index = undefined } = {}) {
  const params = {};
  if (gte !== undefined && gte !== null && gte !== "") params.gte = gte;
  if (lt !== undefined && lt !== null && lt !== "") params.lt = lt;
  const value = [params.gte ?? "-∞", params.lt ?? "+∞"].join(" to ");
  return { meta: { index, negate, disabled: false, alias: null, type: "range", key: field, value, params }, range: { [field]: params } };
}

// A pill that the field has (or, negated, has not) a value.
export function existsFilter(field, { negate = false, index = undefined } = {}) {
  return { meta: { index, negate, disabled: false, alias: null, type: "exists", key: field, value: "exists" }, exists: { field } };
}

// The ES clause of a stored filter: its `query`, or the filter itself without `meta` and
// `$state` (Kibana's exists, range and geo filters sit at the top level).
export function filterClause(filter) {
  if (filter.query) return filter.query;
  const clause = { ...filter };
  delete clause.meta;
  delete clause.$state;
  return clause;
}

// One bool query from the search state {query, filters, time} over a pattern's time field.
export function buildQuery(state, timeField, now = Date.now()) {
  const must = [];
  const filter = [];
  const mustNot = [];
  const query = userQuery(state.query);
  if (query) must.push(query);
  for (const pill of state.filters || []) {
    if (pill.meta?.disabled) continue;
    (pill.meta?.negate ? mustNot : filter).push(filterClause(pill));
  }
  if (timeField && state.time) filter.push(rangeFilter(timeField, timeBounds(state.time, now)));
  if (!must.length && !filter.length && !mustNot.length) return { match_all: {} };
  const bool = {};
  if (must.length) bool.must = must;
  if (filter.length) bool.filter = filter;
  if (mustNot.length) bool.must_not = mustNot;
  return { bool };
}

const INTERVALS = [
  ["1s", 1e3], ["5s", 5e3], ["10s", 1e4], ["30s", 3e4], ["1m", 6e4], ["5m", 3e5], ["10m", 6e5],
  ["30m", 18e5], ["1h", 36e5], ["3h", 108e5], ["12h", 432e5], ["1d", 864e5],
];
const CALENDAR = [["1w", 6048e5], ["1M", 2592e6], ["1y", 31536e6]];

// The date_histogram interval that cuts [min, max] into about `target` buckets:
// {fixed_interval: "5m"} up to a day, then {calendar_interval: "1w" | "1M" | "1y"}.
export function autoInterval(bounds, target = 50) {
  const span = Math.max(1, (bounds.max ?? Date.now()) - (bounds.min ?? 0));
  for (const [name, ms] of INTERVALS) if (span / ms <= target) return { fixed_interval: name, ms };
  for (const [name, ms] of CALENDAR) if (span / ms <= target) return { calendar_interval: name, ms };
  return { calendar_interval: "1y", ms: 31536e6 };
}
