// A visState's aggregations (OpenSearch Dashboards' agg configs: {id, enabled, type, schema,
// params}) as the `aggs` the /_search API takes, the same JSON read back into agg configs
// (the editor's "Aggregation JSON" panel), and the response's buckets as a table of rows
// that the charts draw (OSD's "tabify").

import { autoInterval } from "../search/query.js";

const NUMBER = ["long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"];
const DATE = ["date", "date_nanos"];
const ORDERED = [...NUMBER, ...DATE];
const ANY = null;

// Every aggregation the editor offers: its kind, the field types it takes, and its label.
export const AGG_TYPES = {
  count: { kind: "metric", title: "Count", fields: undefined },
  avg: { kind: "metric", title: "Average", fields: NUMBER },
  sum: { kind: "metric", title: "Sum", fields: NUMBER },
  min: { kind: "metric", title: "Min", fields: ORDERED },
  max: { kind: "metric", title: "Max", fields: ORDERED },
  cardinality: { kind: "metric", title: "Unique Count", fields: ANY },
  median: { kind: "metric", title: "Median", fields: NUMBER },
  percentiles: { kind: "metric", title: "Percentiles", fields: NUMBER },
  top_hits: { kind: "metric", title: "Top Hit", fields: ANY },
  date_histogram: { kind: "bucket", title: "Date Histogram", fields: DATE },
  terms: { kind: "bucket", title: "Terms", fields: ANY },
  histogram: { kind: "bucket", title: "Histogram", fields: NUMBER },
  range: { kind: "bucket", title: "Range", fields: NUMBER },
  date_range: { kind: "bucket", title: "Date Range", fields: DATE },
  filters: { kind: "bucket", title: "Filters", fields: undefined },
  significant_terms: { kind: "bucket", title: "Significant Terms", fields: ANY },
};

// The bucket schemas of each visualization type, in nesting order (OSD's editor names).
export const SCHEMAS = {
  histogram: [["segment", "X-axis"], ["group", "Split series"], ["split", "Split chart"]],
  horizontal_bar: [["segment", "Y-axis"], ["group", "Split series"], ["split", "Split chart"]],
  line: [["segment", "X-axis"], ["group", "Split series"], ["split", "Split chart"]],
  area: [["segment", "X-axis"], ["group", "Split series"], ["split", "Split chart"]],
  pie: [["segment", "Split slices"], ["split", "Split chart"]],
  metric: [["group", "Split group"]],
  table: [["bucket", "Split rows"], ["split", "Split table"]],
  heatmap: [["segment", "X-axis"], ["group", "Y-axis"], ["split", "Split chart"]],
  tagcloud: [["segment", "Tags"]],
  region_map: [["segment", "Shape field"]],
};

// Where a bucket schema nests: split charts outermost, then the x axis (or rows), then series.
const NESTING = { split: 0, segment: 1, bucket: 1, group: 2 };

// The field types an aggregation takes: a field of the pattern fits when it is aggregatable
// and of one of these (any aggregatable field for terms, cardinality and top hits).
export function fieldFits(type, field) {
  const want = AGG_TYPES[type]?.fields;
  if (want === undefined) return false;
  if (type === "top_hits") return field.searchable || field.aggregatable;
  if (!field.aggregatable) return false;
  return want === ANY || want.includes(field.type);
}

export function isBucket(agg) {
  return AGG_TYPES[agg.type]?.kind === "bucket";
}

// The enabled aggregations in request order: buckets by schema (split, segment, group; a
// schema's aggs in their order), then metrics at the leaves.
export function requestOrder(aggs) {
  const enabled = (aggs || []).filter((agg) => agg.enabled !== false);
  const buckets = enabled.filter(isBucket).map((agg, i) => [NESTING[agg.schema] ?? 1, i, agg])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , agg]) => agg);
  return { buckets, metrics: enabled.filter((agg) => !isBucket(agg)) };
}

const CALENDAR_UNITS = { ms: "1ms", s: "1s", m: "1m", h: "1h", d: "1d", w: "1w", M: "1M", y: "1y" };

// The date_histogram interval: "auto" from the time range, a unit ("h", "d": one calendar
// unit), or a custom fixed interval ("30m").
export function dateInterval(interval, bounds, custom) {
  const value = interval === "custom" ? custom : interval || "auto";  // Kibana 6: customInterval
  if (value === "auto") {
    const { ms, ...rest } = autoInterval(bounds || {});
    return { param: rest, ms };
  }
  if (CALENDAR_UNITS[value]) return { param: { calendar_interval: CALENDAR_UNITS[value] }, ms: unitMs(CALENDAR_UNITS[value]) };
  const match = /^(\d+)(ms|s|m|h|d|w|M|y)$/.exec(value);
  if (!match) throw new Error(`Unknown date histogram interval "${value}": use auto, a unit (m, h, d, w, M, y) or e.g. 30m`);
  if (Number(match[1]) === 1 && "wMy".includes(match[2])) return { param: { calendar_interval: value }, ms: unitMs(value) };
  return { param: { fixed_interval: value }, ms: unitMs(value) };
}

const MS = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, M: 2592e6, y: 31536e6 };
function unitMs(text) {
  const match = /^(\d+)(ms|s|m|h|d|w|M|y)$/.exec(text);
  return match ? Number(match[1]) * MS[match[2]] : null;
}

function filterQuery(input) {
  const text = String(input?.query ?? "").trim();
  if (!text) return { match_all: {} };
  if (input.language === "dsl" || text.startsWith("{")) {
    try { return JSON.parse(text); } catch { /* not JSON: a Lucene query */ }
  }
  return { query_string: { query: text, analyze_wildcard: true } };
}

function filterKey(filter) {
  return filter.label || String(filter.input?.query ?? "").trim() || "*";
}

// The terms order: _count when ordered by a Count metric (or "_count"), _key when
// alphabetical, else the ordering metric's id (sent as a sub-aggregation).
function termsOrder(agg, metrics) {
  const by = agg.params?.orderBy ?? "1";
  const direction = agg.params?.order?.value ?? agg.params?.order ?? "desc";
  if (by === "_key" || by === "_term") return { key: "_key", direction };  // _term: Kibana 6
  if (by === "_count") return { key: by, direction };
  if (by === "custom" && agg.params.orderAgg) {  // "Custom metric": a metric of its own
    const metric = { ...agg.params.orderAgg, id: `${agg.id}-orderAgg` };
    return metric.type === "count" ? { key: "_count", direction } : { key: metric.id, direction, metric, own: true };
  }
  const metric = metrics.find((m) => m.id === by);
  if (!metric || metric.type === "count") return { key: "_count", direction };
  if (metric.type === "median") return { key: `${metric.id}.50`, direction, metric };
  if (metric.type === "percentiles") return { key: `${metric.id}.${(metric.params?.percents || [50])[0]}`, direction, metric };
  if (metric.type === "top_hits") return { key: "_count", direction };
  return { key: metric.id, direction, metric };
}

function rangesOf(ranges) {
  return (ranges || []).map((range) => {
    const out = {};
    if (range.from !== undefined && range.from !== null && range.from !== "") out.from = range.from;
    if (range.to !== undefined && range.to !== null && range.to !== "") out.to = range.to;
    if (range.key) out.key = range.key;
    return out;
  });
}

// One bucket aggregation's body ({terms: {...}}), without its sub-aggregations.
function bucketBody(agg, metrics, options) {
  const p = agg.params || {};
  switch (agg.type) {
    case "date_histogram": {
      const { param } = dateInterval(p.interval, options.bounds, p.customInterval);
      const body = { field: p.field, ...param, time_zone: options.timeZone || "UTC", min_doc_count: 1 };
      return { date_histogram: body };
    }
    case "terms": {
      const order = termsOrder(agg, metrics);
      const body = { field: p.field, size: Number(p.size ?? 5), order: { [order.key]: order.direction } };
      if (p.missingBucket) body.missing = "__missing__";
      // The ordering metric is a direct sub-aggregation, as ES requires (OSD adds it too).
      return order.metric ? { terms: body, aggs: { [order.metric.id]: metricBody(order.metric) } } : { terms: body };
    }
    case "significant_terms":
      return { significant_terms: { field: p.field, size: Number(p.size ?? 10) } };
    case "histogram": {
      const body = { field: p.field, interval: Number(p.interval), min_doc_count: p.min_doc_count ? 0 : 1 };
      if (!(body.interval > 0)) throw new Error(`Histogram ${agg.id} on ${p.field}: set an interval greater than 0`);
      if (p.has_extended_bounds && p.extended_bounds) body.extended_bounds = p.extended_bounds;
      return { histogram: body };
    }
    case "range":
      return { range: { field: p.field, ranges: rangesOf(p.ranges), keyed: true } };
    case "date_range": {
      const body = { field: p.field, ranges: rangesOf(p.ranges) };
      if (options.timeZone) body.time_zone = options.timeZone;
      return { date_range: body };
    }
    case "filters": {
      const filters = {};
      for (const filter of p.filters || [{ input: { query: "" } }]) filters[filterKey(filter)] = filterQuery(filter.input);
      return { filters: { filters } };
    }
    default:
      throw new Error(`Unsupported bucket aggregation "${agg.type}" (${agg.id})`);
  }
}

function metricBody(agg) {
  const p = agg.params || {};
  switch (agg.type) {
    case "avg": case "sum": case "min": case "max": case "cardinality":
      return { [agg.type]: { field: p.field } };
    case "median":
      return { percentiles: { field: p.field, percents: [50], keyed: false } };
    case "percentiles":
      return { percentiles: { field: p.field, percents: (p.percents || [1, 5, 25, 50, 75, 95, 99]).map(Number), keyed: false } };
    case "top_hits": {
      const body = { size: Number(p.size ?? 1), _source: { includes: [p.field] } };
      if (p.sortField) body.sort = [{ [p.sortField]: { order: p.sortOrder?.value ?? p.sortOrder ?? "desc" } }];
      return { top_hits: body };
    }
    default:
      throw new Error(`Unsupported metric aggregation "${agg.type}" (${agg.id})`);
  }
}

// The `aggs` of the /_search body: buckets nested in request order, each named by its agg id,
// metrics other than Count at the deepest level. options = {bounds: {min, max}, timeZone}.
export function requestAggs(visState, options = {}) {
  const { buckets, metrics } = requestOrder(visState.aggs);
  for (const agg of [...buckets, ...metrics]) {
    if (AGG_TYPES[agg.type]?.fields !== undefined && !agg.params?.field) throw new Error(`${AGG_TYPES[agg.type].title} (${agg.id}): choose a field`);
  }
  const leaves = {};
  for (const metric of metrics) if (metric.type !== "count") leaves[metric.id] = metricBody(metric);
  let inner = leaves;
  for (let i = buckets.length - 1; i >= 0; i -= 1) {
    const body = bucketBody(buckets[i], metrics, options);
    if (Object.keys(inner).length) body.aggs = { ...body.aggs, ...inner };
    inner = { [buckets[i].id]: body };
  }
  return inner;
}

// The whole /_search body for this visState over `query` (an ES query, search/query.js).
export function searchBody(visState, query, _pattern, options = {}) {
  return { size: 0, track_total_hits: true, query, aggs: requestAggs(visState, options) };
}

// ---- The JSON read back: an ES `aggs` object as agg configs --------------------------------

const METRIC_KEYS = ["avg", "sum", "min", "max", "cardinality", "percentiles", "top_hits"];
const BUCKET_KEYS = ["date_histogram", "terms", "significant_terms", "histogram", "range", "date_range", "filters"];

function intervalParam(body) {
  const value = body.calendar_interval ?? body.fixed_interval ?? body.interval;
  if (!value) return "auto";
  const unit = /^1(ms|s|m|h|d|w|M|y)$/.exec(value);
  return unit && body.calendar_interval ? unit[1] : value;
}

// Agg configs from an `aggs` object as requestAggs writes it (one bucket aggregation per
// level). `previous` (the visState) keeps the schemas and labels of aggs whose ids remain.
// An unsupported part throws an Error naming it.
export function parseAggs(json, previous) {
  const text = typeof json === "string" ? json : JSON.stringify(json);
  let aggs;
  try { aggs = JSON.parse(text); } catch (error) { throw new Error(`The aggregation JSON does not parse: ${error.message}`); }
  if (!aggs || typeof aggs !== "object" || Array.isArray(aggs)) throw new Error("The aggregation JSON is an object of named aggregations, e.g. {\"2\": {\"terms\": {\"field\": \"event.action\"}}}");
  const known = Object.fromEntries((previous?.aggs || []).map((agg) => [agg.id, agg]));
  const schemas = (SCHEMAS[previous?.type] || SCHEMAS.histogram).map(([name]) => name);
  const freeSchemas = schemas.filter((s) => s !== "split");
  const buckets = [];
  const metrics = [];
  let orders = [];
  const walk = (level, path, orderKey) => {
    const names = Object.keys(level);
    const bucketNames = names.filter((name) => BUCKET_KEYS.some((k) => k in (level[name] || {})));
    if (bucketNames.length > 1) throw new Error(`Unsupported: ${path || "the top level"} has ${bucketNames.length} bucket aggregations side by side (${bucketNames.join(", ")}); a visualization nests one per level`);
    for (const name of names) {
      const body = level[name];
      const where = `${path}${path ? " → " : ""}"${name}"`;
      if (!body || typeof body !== "object" || Array.isArray(body)) throw new Error(`Unsupported: aggregation ${where} is not an object`);
      const types = Object.keys(body).filter((key) => key !== "aggs" && key !== "aggregations" && key !== "meta");
      if (types.length !== 1) throw new Error(`Unsupported: aggregation ${where} has ${types.length ? types.join(", ") : "no type"}; give exactly one type`);
      const [type] = types;
      const params = body[type] || {};
      const sub = body.aggs || body.aggregations;
      if (METRIC_KEYS.includes(type)) {
        if (sub) throw new Error(`Unsupported: metric ${where} has sub-aggregations`);
        if (bucketNames.length && name === String(orderKey).split(".")[0]) continue;  // the parent's order, repeated
        if (bucketNames.length) throw new Error(`Unsupported: metric ${where} sits beside bucket aggregation "${bucketNames[0]}"; metrics go at the deepest level`);
        metrics.push({ name, type, params, where });
      } else if (BUCKET_KEYS.includes(type)) {
        const config = bucketConfig(name, type, params, where);
        buckets.push(config);
        const own = sub?.[`${name}-orderAgg`];
        if (type === "terms" && own) {  // ordered by a metric of its own ("Custom metric")
          const ownType = Object.keys(own).find((key) => METRIC_KEYS.includes(key));
          if (!ownType) throw new Error(`Unsupported: ${where} → "${name}-orderAgg" is not a metric`);
          config.params.orderAgg = { ...metricConfig(`${name}-orderAgg`, ownType, own[ownType], `${where} → "${name}-orderAgg"`), schema: "orderAgg" };
        }
        if (type === "terms" && params.order) orders.push([config, params.order]);
        const rest = own ? Object.fromEntries(Object.entries(sub).filter(([key]) => key !== `${name}-orderAgg`)) : sub;
        if (rest && Object.keys(rest).length) walk(rest, where, type === "terms" && params.order ? Object.keys(params.order)[0] : null);
      } else {
        throw new Error(`Unsupported aggregation type "${type}" in ${where}: use one of ${[...BUCKET_KEYS, ...METRIC_KEYS].join(", ")}`);
      }
    }
  };
  walk(aggs, "");
  const metricConfigs = metrics.map(({ name, type, params, where }) => metricConfig(name, type, params, where));
  if (!metricConfigs.length || orders.some(([, order]) => "_count" in order)) {
    const countId = known["1"]?.type === "count" || !metricConfigs.some((m) => m.id === "1") ? "1" : "count";
    if (!metricConfigs.some((m) => m.type === "count")) metricConfigs.unshift({ id: countId, enabled: true, type: "count", schema: "metric", params: {} });
  }
  const countId = metricConfigs.find((m) => m.type === "count")?.id;
  orders = orders.map(([agg, order]) => {
    const [key, direction] = Object.entries(order)[0] || ["_count", "desc"];
    agg.params.order = direction;
    agg.params.orderBy = key === "_count" ? countId : key === "_key" ? "_key" : key === `${agg.id}-orderAgg` ? "custom" : key.split(".")[0];
    return agg;
  });
  let depth = 0;
  const bucketConfigs = buckets.map((agg) => {
    const old = known[agg.id];
    const schema = old && isBucket(old) ? old.schema : freeSchemas[Math.min(depth, freeSchemas.length - 1)];
    depth += 1;
    return { ...agg, schema, params: { ...agg.params, ...(old?.params?.customLabel ? { customLabel: old.params.customLabel } : {}) } };
  });
  const metricKept = metricConfigs.map((agg) => {
    const old = known[agg.id];
    return old?.params?.customLabel && old.type === agg.type ? { ...agg, params: { ...agg.params, customLabel: old.params.customLabel } } : agg;
  });
  return [...metricKept, ...bucketConfigs];
}

function requireField(params, where) {
  if (!params.field) throw new Error(`Unsupported: ${where} has no "field"`);
  return params.field;
}

function metricConfig(id, type, params, where) {
  if (type === "percentiles") {
    const percents = params.percents || [1, 5, 25, 50, 75, 95, 99];
    if (percents.length === 1 && Number(percents[0]) === 50) return { id, enabled: true, type: "median", schema: "metric", params: { field: requireField(params, where) } };
    return { id, enabled: true, type: "percentiles", schema: "metric", params: { field: requireField(params, where), percents } };
  }
  if (type === "top_hits") {
    const field = [].concat(params._source?.includes ?? params._source ?? [])[0];
    if (!field) throw new Error(`Unsupported: top_hits ${where} needs "_source": {"includes": ["<field>"]}`);
    const [sort] = params.sort || [];
    const sortField = sort ? Object.keys(sort)[0] : undefined;
    return { id, enabled: true, type, schema: "metric", params: { field, size: params.size ?? 1, aggregate: "concat", sortField, sortOrder: sort ? (sort[sortField].order ?? sort[sortField]) : "desc" } };
  }
  return { id, enabled: true, type, schema: "metric", params: { field: requireField(params, where) } };
}

function bucketConfig(id, type, params, where) {
  const base = { id, enabled: true, type };
  switch (type) {
    case "date_histogram":
      return { ...base, params: { field: requireField(params, where), interval: intervalParam(params), min_doc_count: 1, extended_bounds: {} } };
    case "terms":
      return { ...base, params: { field: requireField(params, where), size: params.size ?? 10, order: "desc", orderBy: "_key", missingBucket: params.missing !== undefined, missingBucketLabel: "Missing", otherBucket: false } };
    case "significant_terms":
      return { ...base, params: { field: requireField(params, where), size: params.size ?? 10 } };
    case "histogram":
      return { ...base, params: { field: requireField(params, where), interval: params.interval, min_doc_count: params.min_doc_count === 0, has_extended_bounds: Boolean(params.extended_bounds), extended_bounds: params.extended_bounds || {} } };
    case "range": case "date_range":
      return { ...base, params: { field: requireField(params, where), ranges: (params.ranges || []).map(({ from, to }) => ({ from, to })) } };
    case "filters": {
      const filters = Array.isArray(params.filters) ? params.filters.map((q, i) => [String(i), q]) : Object.entries(params.filters || {});
      return { ...base, params: { filters: filters.map(([label, query]) => {
        const text = query.query_string?.query;
        if (query.match_all) return { input: { query: "", language: "lucene" }, label: label === "*" ? "" : label };
        return { input: text !== undefined ? { query: text, language: "lucene" } : { query: JSON.stringify(query), language: "dsl" }, label: label === text ? "" : label };
      }) } };
    }
    default:
      throw new Error(`Unsupported bucket aggregation "${type}" in ${where}`);
  }
}

// ---- The response as a table ----------------------------------------------------------------

const ORDINALS = (n) => (n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th");

// An agg's label as OSD writes it ("Count", "Average bytes", "source.ip: Descending").
export function aggLabel(agg) {
  const p = agg.params || {};
  if (p.customLabel) return p.customLabel;
  switch (agg.type) {
    case "count": return "Count";
    case "avg": return `Average ${p.field}`;
    case "sum": return `Sum of ${p.field}`;
    case "min": return `Min ${p.field}`;
    case "max": return `Max ${p.field}`;
    case "cardinality": return `Unique count of ${p.field}`;
    case "median": return `Median ${p.field}`;
    case "top_hits": return `Last ${p.field}`;
    case "terms": return `${p.field}: ${p.orderBy === "_key" ? "Alphabetical" : (p.order?.value ?? p.order) === "asc" ? "Ascending" : "Descending"}`;
    case "significant_terms": return `Top ${p.size ?? 10} unusual terms in ${p.field}`;
    case "date_histogram": return `${p.field} per ${p.interval && p.interval !== "auto" ? p.interval : "auto interval"}`;
    case "histogram": return p.field;
    case "range": return `${p.field} ranges`;
    case "date_range": return `${p.field} date ranges`;
    case "filters": return "Filters";
    default: return agg.type;
  }
}

// The metric columns of an agg: one per percent for percentiles.
function metricColumns(agg) {
  if (agg.type === "percentiles") {
    return (agg.params?.percents || [1, 5, 25, 50, 75, 95, 99]).map((pct) => ({
      agg, kind: "metric", percent: Number(pct), label: `${pct}${ORDINALS(Number(pct))} percentile of ${agg.params.field}`,
    }));
  }
  return [{ agg, kind: "metric", label: aggLabel(agg) }];
}

function metricValue(column, bucket) {
  const { agg } = column;
  if (agg.type === "count") return bucket.doc_count ?? 0;
  const result = bucket[agg.id];
  if (!result) return null;
  if (agg.type === "median" || agg.type === "percentiles") {
    const want = agg.type === "median" ? 50 : column.percent;
    const values = result.values;
    if (Array.isArray(values)) return values.find((v) => Number(v.key) === want)?.value ?? null;
    return values?.[want] ?? values?.[want.toFixed(1)] ?? null;
  }
  if (agg.type === "top_hits") {
    const values = (result.hits?.hits || []).map((hit) => pick(hit._source, agg.params.field)).filter((v) => v !== undefined);
    return values.length ? values.join(", ") : null;
  }
  return result.value ?? null;
}

// A field of _source by its dotted name, whether stored flat ("a.b") or nested ({a: {b}}).
function pick(source, path) {
  if (!source || typeof source !== "object") return undefined;
  if (path in source) return source[path];
  const parts = path.split(".");
  for (let i = 1; i < parts.length; i += 1) {
    const head = parts.slice(0, i).join(".");
    if (head in source) return pick(source[head], parts.slice(i).join("."));
  }
  return undefined;
}

// A response's buckets as {columns, rows}: a column per bucket agg (its key; cells
// {key, label}) then per metric; a row per leaf bucket. Without buckets, one row of totals.
export function tabify(visState, response) {
  const { buckets, metrics } = requestOrder(visState.aggs);
  const columns = [
    ...buckets.map((agg) => ({ agg, kind: "bucket", label: aggLabel(agg) })),
    ...metrics.flatMap(metricColumns),
  ];
  const rows = [];
  const walk = (level, depth, keys) => {
    if (depth === buckets.length) {
      rows.push([...keys, ...columns.slice(buckets.length).map((column) => metricValue(column, level))]);
      return;
    }
    const agg = buckets[depth];
    const result = level[agg.id];
    if (!result) return;
    for (const bucket of bucketList(agg, result)) walk(bucket, depth + 1, [...keys, bucketCell(agg, bucket)]);
  };
  walk({ ...(response.aggregations || {}), doc_count: totalHits(response) }, 0, []);
  return { columns, rows };
}

function totalHits(response) {
  const total = response.hits?.total;
  return typeof total === "number" ? total : total?.value ?? 0;
}

function bucketList(agg, result) {
  const list = result.buckets;
  if (Array.isArray(list)) return list;
  return Object.entries(list || {}).map(([key, bucket]) => ({ ...bucket, key: bucket.key ?? key }));
}

const NUMBER_FORMAT = new Intl.NumberFormat("en", { maximumFractionDigits: 3 });

function bucketCell(agg, bucket) {
  const cell = { key: bucket.key, label: String(bucket.key_as_string ?? bucket.key) };
  if (agg.type === "date_histogram") cell.label = formatDate(bucket.key);
  if (agg.type === "terms" && bucket.key === "__missing__") cell.label = agg.params?.missingBucketLabel || "Missing";
  if (agg.type === "histogram") cell.label = NUMBER_FORMAT.format(bucket.key);
  if (agg.type === "range" || agg.type === "date_range") {
    cell.range = { from: bucket.from, to: bucket.to };
    const from = bucket.from_as_string ?? (bucket.from !== undefined ? NUMBER_FORMAT.format(bucket.from) : null);
    const to = bucket.to_as_string ?? (bucket.to !== undefined ? NUMBER_FORMAT.format(bucket.to) : null);
    cell.label = from !== null && to !== null ? `${from} to ${to}` : from !== null ? `≥ ${from}` : to !== null ? `< ${to}` : "all";
  }
  return cell;
}

// "2026-12-05 01:30" (local time), or with seconds when they are not zero.
export function formatDate(ms) {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return String(ms);
  const pad = (n) => String(n).padStart(2, "0");
  const seconds = date.getSeconds() ? `:${pad(date.getSeconds())}` : "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}${seconds}`;
}

export function formatNumber(value) {
  return typeof value === "number" ? NUMBER_FORMAT.format(value) : value === null || value === undefined ? "—" : String(value);
}
