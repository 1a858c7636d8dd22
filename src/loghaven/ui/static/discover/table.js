// The document table of Discover and of saved-search panels: the time column and the
// chosen columns (or a `_source` summary), sortable headers, rows that expand to the
// document as a table of fields (with filter buttons) and as JSON. Matches are marked with
// <mark> nodes built from the highlight fragments, never parsed as HTML.

import { h } from "../lib.js";
import { POST_TAG, PRE_TAG, flatten, text } from "./request.js";

const TIME = new Intl.DateTimeFormat("en-US", {
  month: "short", day: "numeric", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  fractionalSecondDigits: 3, hourCycle: "h23",
});

// "Dec 5, 2026 @ 01:55:30.123" (local time), as Discover writes a timestamp.
export function formatTime(value) {
  const ms = typeof value === "number" ? value : Date.parse(value);
  if (Number.isNaN(ms)) return text(value);
  const parts = Object.fromEntries(TIME.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.month} ${parts.day}, ${parts.year} @ ${parts.hour}:${parts.minute}:${parts.second}.${parts.fractionalSecond}`;
}

// A highlight fragment as text and <mark> nodes.
function markFragment(fragment) {
  const nodes = [];
  for (const [i, piece] of fragment.split(PRE_TAG).entries()) {
    if (i === 0) { if (piece) nodes.push(piece); continue; }
    const end = piece.indexOf(POST_TAG);
    if (end < 0) { nodes.push(piece); continue; }
    nodes.push(h("mark", {}, piece.slice(0, end)));
    if (piece.length > end + POST_TAG.length) nodes.push(piece.slice(end + POST_TAG.length));
  }
  return nodes;
}

// A field's value with its matches marked: each value that a fragment covers is shown as
// the fragment (the fragments hold whole values: fragment_size is unbounded).
export function marked(value, fragments) {
  if (!fragments?.length) return [text(value)];
  const plain = new Map(fragments.map((f) => [f.split(PRE_TAG).join("").split(POST_TAG).join(""), f]));
  const values = Array.isArray(value) ? value : [value];
  const out = [];
  values.forEach((one, i) => {
    if (i) out.push(", ");
    const shown = text(one);
    out.push(...(plain.has(shown) ? markFragment(plain.get(shown)) : [shown]));
  });
  return out;
}

function fieldOf(hit, name) {
  hit._flat ??= flatten(hit._source);
  if (name === "_id" || name === "_index") return hit[name];
  return hit._flat[name];
}

function summary(hit) {
  hit._flat ??= flatten(hit._source);
  const entries = Object.entries(hit._flat);
  const highlighted = entries.filter(([name]) => hit.highlight?.[name]);
  const rest = entries.filter(([name]) => !hit.highlight?.[name]);
  return h("dl", { class: "source-summary" }, [...highlighted, ...rest].slice(0, 40).map(([name, value]) => [
    h("dt", {}, `${name}:`), h("dd", {}, marked(value, hit.highlight?.[name])), " "]));
}

function iconButton(label, symbol, onclick, extra = {}) {
  return h("button", { type: "button", class: "icon", title: label, "aria-label": label, onclick, ...extra }, symbol);
}

// The document as a table (field, actions, value) and as JSON, in two tabs.
function detail(hit, { timeField, columns, actions }) {
  hit._flat ??= flatten(hit._source);
  const rows = Object.entries(hit._flat).sort(([a], [b]) => (a === timeField ? -1 : b === timeField ? 1 : a.localeCompare(b)))
    .map(([name, value]) => h("tr", { "data-field": name },
      h("th", { scope: "row" }, name),
      h("td", { class: "doc-actions" }, actions ? [
        iconButton(`Filter for ${name}: ${text(value)}`, "⊕", () => actions.onFilter(name, value, false), { class: "icon filter-for" }),
        iconButton(`Filter out ${name}: ${text(value)}`, "⊖", () => actions.onFilter(name, value, true), { class: "icon filter-out" }),
        iconButton(`${columns.includes(name) ? "Remove" : "Add"} column ${name}`, "▥", () => actions.onToggleColumn(name), { class: "icon toggle-column" }),
        iconButton(`Filter for field present: ${name}`, "∃", () => actions.onExists(name), { class: "icon filter-exists" }),
      ] : null),
      h("td", { class: "doc-value" }, name === timeField ? formatTime(value) : marked(value, hit.highlight?.[name]))));
  const table = h("table", { class: "doc-fields" }, h("tbody", {}, rows));
  const json = h("pre", { class: "doc-json", hidden: true }, JSON.stringify({ _index: hit._index, _id: hit._id, _version: hit._version, _score: hit._score, _source: hit._source }, null, 2));
  const tab = (label, shows, hides) => h("button", { type: "button", role: "tab", class: "doc-tab", "aria-selected": String(!shows.hidden),
    onclick: (event) => {
      shows.hidden = false; hides.hidden = true;
      for (const b of event.target.parentNode.children) b.setAttribute("aria-selected", String(b === event.target));
    } }, label);
  return h("div", { class: "doc-detail" },
    h("div", { class: "doc-tabs", role: "tablist" }, tab("Table", table, json), tab("JSON", json, table)), table, json);
}

function header({ timeField, columns, sort, fields, actions }) {
  const [sortField, sortOrder] = sort[0] || [];
  const sortable = (name) => name === timeField || fields.get(name)?.aggregatable;
  const sortButton = (name) => {
    if (!sortable(name) || !actions?.onSort) return null;
    const current = sortField === name ? sortOrder : null;
    const next = current === "desc" ? "asc" : "desc";
    return iconButton(`Sort ${name} ${next === "asc" ? "ascending" : "descending"}`, current === "asc" ? "↑" : current === "desc" ? "↓" : "⇅",
      () => actions.onSort([[name, next]]), { class: `icon sort${current ? " active" : ""}`, "data-sort": current || "" });
  };
  const cells = [h("th", { class: "expand-col" }, h("span", { class: "visually-hidden" }, "Details"))];
  if (timeField) cells.push(h("th", { class: "time-col", "data-column": timeField }, "Time", sortButton(timeField)));
  const shown = columns.length ? columns : ["_source"];
  shown.forEach((name, i) => cells.push(h("th", { "data-column": name }, name === "_source" ? "Document" : name, name === "_source" ? null : [
    sortButton(name),
    actions?.onMoveColumn && i > 0 ? iconButton(`Move column ${name} left`, "←", () => actions.onMoveColumn(name, -1), { class: "icon move-left" }) : null,
    actions?.onMoveColumn && i < shown.length - 1 ? iconButton(`Move column ${name} right`, "→", () => actions.onMoveColumn(name, 1), { class: "icon move-right" }) : null,
    actions?.onToggleColumn ? iconButton(`Remove column ${name}`, "×", () => actions.onToggleColumn(name), { class: "icon remove-column" }) : null,
  ])));
  return h("thead", {}, h("tr", {}, cells));
}

// The table of `hits`; `actions` ({onSort, onFilter, onExists, onToggleColumn, onMoveColumn})
// may be null (a read-only panel).
export function docTable(hits, { timeField, columns, sort, fields = new Map(), actions = null }) {
  const shown = columns.length ? columns : ["_source"];
  const width = shown.length + (timeField ? 2 : 1);
  const body = h("tbody", {});
  for (const hit of hits) {
    const row = h("tr", { class: "doc-row", "data-id": hit._id });
    let open = null;
    const toggle = iconButton("Expand document", "▸", () => {
      if (open) { open.remove(); open = null; toggle.textContent = "▸"; toggle.setAttribute("aria-expanded", "false"); return; }
      open = h("tr", { class: "doc-expanded" }, h("td", { colspan: width }, detail(hit, { timeField, columns, actions })));
      row.after(open);
      toggle.textContent = "▾";
      toggle.setAttribute("aria-expanded", "true");
    }, { class: "icon expand", "aria-expanded": "false" });
    row.append(h("td", { class: "expand-col" }, toggle));
    if (timeField) row.append(h("td", { class: "time-col" }, formatTime(fieldOf(hit, timeField))));
    for (const name of shown) {
      row.append(h("td", { "data-column": name }, name === "_source" ? summary(hit) : marked(fieldOf(hit, name), hit.highlight?.[name])));
    }
    body.append(row);
  }
  return h("table", { class: "doc-table" }, header({ timeField, columns, sort, fields, actions }), body);
}
