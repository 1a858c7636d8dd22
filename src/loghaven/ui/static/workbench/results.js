// A query's rows as a table (its columns named and typed from the jdbc schema) and, when the
// rows are one label column and numbers, as a chart: bars per label (widgets.js's bars), or
// lines over time for a timestamp column (operations/charts.js's lineChart).

import { h } from "../lib.js";
import { bars } from "../widgets.js";
import { lineChart } from "../operations/charts.js";

const NUMERIC = new Set(["byte", "short", "integer", "long", "float", "half_float", "scaled_float", "double", "unsigned_long"]);
const LABELS = new Set(["text", "keyword", "string", "ip", "boolean"]);
const TIMES = new Set(["timestamp", "date", "datetime", "date_nanos"]);
// Bars drawn at most (the table has every row).
const MOST_BARS = 50;

export const columnName = (column) => column.alias || column.name;

// A cell as text: objects and arrays (nested fields) as JSON, null as an em dash.
export function cellText(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// The table for `schema`: {element, add(rows)}.
export function resultTable(schema) {
  const body = h("tbody", {});
  const element = h("table", { class: "list workbench-table", id: "workbench-table" },
    h("caption", { class: "visually-hidden" }, "Query results"),
    h("thead", {}, h("tr", {}, schema.map((column) => h("th", { scope: "col", class: NUMERIC.has(column.type) ? "num" : null, title: column.alias ? `${column.name} AS ${column.alias}` : column.name },
      columnName(column), h("span", { class: "workbench-type" }, column.type))))),
    body);
  const add = (rows) => {
    for (const row of rows) {
      body.append(h("tr", {}, schema.map((column, i) => h("td", { class: NUMERIC.has(column.type) ? "num" : null,
        "data-null": row[i] === null || row[i] === undefined ? "true" : null }, cellText(row[i])))));
    }
  };
  return { element, add };
}

// {label: index, time: bool, values: [index...]} when the schema can be drawn, else null.
export function chartShape(schema) {
  const labels = schema.map((c, i) => [c, i]).filter(([c]) => LABELS.has(c.type) || TIMES.has(c.type));
  const values = schema.map((c, i) => [c, i]).filter(([c]) => NUMERIC.has(c.type));
  if (labels.length !== 1 || !values.length || labels.length + values.length !== schema.length) return null;
  return { label: labels[0][1], time: TIMES.has(labels[0][0].type), values: values.map(([, i]) => i) };
}

// A timestamp of the plugin ("2018-12-01 10:00:00", UTC) in epoch milliseconds.
function millis(value) {
  const text = String(value);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text.replace(" ", "T") : `${text.replace(" ", "T")}Z`);
}

// Draws the chart of `rows` into `box` (emptied first); returns false when there is none.
export async function drawChart(box, schema, rows) {
  const shape = chartShape(schema);
  box.replaceChildren();
  box.hidden = !shape || !rows.length;
  if (box.hidden) return false;
  const names = shape.values.map((i) => columnName(schema[i]));
  const by = columnName(schema[shape.label]);
  const caption = h("figcaption", {}, `${names.join(", ")} by ${by}`);
  if (shape.time) {
    const area = h("div", { class: "chart workbench-line", role: "img", "aria-label": `${names.join(", ")} over ${by}` });
    box.append(caption, area);
    box.dataset.kind = "line";
    const series = shape.values.map((i) => ({ name: columnName(schema[i]),
      points: rows.map((row) => [millis(row[shape.label]), row[i] === null ? null : Number(row[i])]).filter(([t]) => !Number.isNaN(t)).sort((a, b) => a[0] - b[0]) }));
    await lineChart(area, { unit: "", series });
    return true;
  }
  box.dataset.kind = "bar";
  const shown = rows.slice(0, MOST_BARS);
  box.append(caption);
  for (const i of shape.values) {
    box.append(h("div", { class: "bar-chart", role: "group", "aria-label": `${columnName(schema[i])} by ${by}` },
      shape.values.length > 1 ? h("h4", {}, columnName(schema[i])) : null,
      bars(shown.map((row) => [cellText(row[shape.label]), Number(row[i]) || 0]))));
  }
  if (rows.length > MOST_BARS) box.append(h("p", { class: "muted" }, `The first ${MOST_BARS} rows of ${rows.length}; the table has them all.`));
  return true;
}

// The plan explain answers, as nested operators that fold ({name, description, children}),
// with the whole answer as JSON below.
export function planView(plan) {
  const operator = (node) => {
    if (!node || typeof node !== "object" || typeof node.name !== "string") return h("pre", { class: "json" }, JSON.stringify(node, null, 2));
    return h("details", { class: "workbench-operator", open: true },
      h("summary", {}, node.name),
      node.description && Object.keys(node.description).length ? h("pre", { class: "json" }, JSON.stringify(node.description, null, 2)) : null,
      (node.children || []).map(operator));
  };
  const roots = plan && typeof plan === "object" && plan.root ? [plan.root] : [];
  return [
    ...roots.map(operator),
    h("details", { class: "workbench-plan-json", open: !roots.length }, h("summary", {}, "The whole answer (JSON)"),
      h("pre", { class: "json", id: "workbench-plan-json" }, JSON.stringify(plan, null, 2))),
  ];
}
