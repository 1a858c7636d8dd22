// The field list beside the documents: the pattern's fields, filterable by name, in two
// groups (selected as columns, available), each with its type. A field opens its top 5
// values — from a terms aggregation over every match when the field is aggregatable, else
// from the loaded hits, and it says which — with filter for / filter out buttons.

import { h } from "../lib.js";
import { flatten, text } from "./request.js";

const HIDDEN_TYPES = new Set(["object", "nested"]);

export class Sidebar {
  // topValues(field) → {source: "aggregation"|"sample", of, values: [{value, count}]}
  constructor({ onFilter, onToggleColumn, topValues }) {
    Object.assign(this, { onFilter, onToggleColumn, topValues });
    this.search = h("input", { type: "search", class: "field-search", placeholder: "Search field names", "aria-label": "Search field names",
      oninput: () => this.draw() });
    this.lists = h("div", { class: "field-lists" });
    this.element = h("aside", { class: "field-sidebar", "aria-label": "Fields" }, this.search, this.lists);
    this.fields = [];
    this.columns = [];
    this.open = null;
  }

  render(fields, columns) {
    this.fields = fields.filter((f) => !HIDDEN_TYPES.has(f.type));
    this.columns = columns;
    this.draw();
  }

  draw() {
    const needle = this.search.value.trim().toLowerCase();
    const match = this.fields.filter((f) => f.name.toLowerCase().includes(needle));
    const selected = this.columns.map((name) => match.find((f) => f.name === name)).filter(Boolean);
    const available = match.filter((f) => !this.columns.includes(f.name));
    const group = (title, list, cls) => h("section", { class: `field-group ${cls}` },
      h("h3", {}, `${title} `, h("span", { class: "muted" }, String(list.length))),
      list.length ? h("ul", {}, list.map((f) => this.item(f))) : h("p", { class: "muted" }, needle ? "No field matches." : "None."));
    this.lists.replaceChildren(...[
      this.columns.length ? group("Selected fields", selected, "selected") : null,
      group("Available fields", available, "available")].filter(Boolean));
  }

  item(field) {
    const chosen = this.columns.includes(field.name);
    const details = h("div", { class: "field-details", hidden: this.open !== field.name });
    const name = h("button", { type: "button", class: "field-name", "aria-expanded": String(this.open === field.name),
      title: `Show the top 5 values of ${field.name}`,
      onclick: () => {
        this.open = this.open === field.name ? null : field.name;
        this.draw();
      } }, h("span", { class: `field-type type-${field.type}`, title: field.type }, field.type), h("span", { class: "field-label" }, field.name));
    if (this.open === field.name) this.fill(details, field);
    return h("li", { "data-field": field.name },
      h("div", { class: "field-row" }, name,
        h("button", { type: "button", class: "icon add-column", "aria-label": `${chosen ? "Remove" : "Add"} column ${field.name}`, title: chosen ? "Remove column" : "Add as column",
          onclick: () => this.onToggleColumn(field.name) }, chosen ? "−" : "+")),
      details);
  }

  async fill(box, field) {
    box.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    let top;
    try { top = await this.topValues(field); } catch (error) { box.replaceChildren(h("p", { class: "notice error" }, error.message)); return; }
    const where = top.source === "aggregation" ? `Top 5 values in all ${top.of.toLocaleString("en")} matching documents (terms aggregation)`
      : `Top 5 values in the ${top.of} loaded documents (this page's sample)`;
    if (!top.values.length) { box.replaceChildren(h("p", { class: "muted" }, `${where}: no value.`)); return; }
    box.replaceChildren(h("p", { class: "field-source muted" }, where), h("ul", { class: "top-values" }, top.values.map(({ value, count }) => {
      const share = top.of ? (100 * count) / top.of : 0;
      const fill = h("span", { class: "bar-fill" });
      fill.style.width = `${share}%`;
      return h("li", { "data-value": text(value), "data-count": String(count) },
        h("div", { class: "top-value-row" }, h("span", { class: "top-value" }, text(value)), h("span", { class: "top-share num" }, `${share.toFixed(1)}%`),
          h("button", { type: "button", class: "icon filter-for", "aria-label": `Filter for ${field.name}: ${text(value)}`, title: "Filter for value",
            onclick: () => this.onFilter(field.name, value, false) }, "⊕"),
          h("button", { type: "button", class: "icon filter-out", "aria-label": `Filter out ${field.name}: ${text(value)}`, title: "Filter out value",
            onclick: () => this.onFilter(field.name, value, true) }, "⊖")),
        h("span", { class: "bar-track" }, fill));
    })));
  }
}

// The top `size` values of `field` among loaded hits (each hit counts once per value).
export function sampleTop(hits, field, size = 5) {
  const counts = new Map();
  for (const hit of hits) {
    hit._flat ??= flatten(hit._source);
    const value = hit._flat[field];
    if (value === undefined || value === null) continue;
    for (const one of new Set((Array.isArray(value) ? value : [value]).map((v) => (typeof v === "object" ? JSON.stringify(v) : v)))) {
      counts.set(one, (counts.get(one) || 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, size).map(([value, count]) => ({ value, count }));
}
