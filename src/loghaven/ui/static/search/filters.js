// The search bar's filter pills (OpenSearch Dashboards' filter objects): each can be
// negated, disabled or removed from its menu, and "Add filter" builds a new one from a
// field, an operator and a value.

import { h } from "../lib.js";
import { existsFilter, filterClause, phraseFilter, rangeBetweenFilter } from "./query.js";

const NUMBER_TYPES = new Set(["long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long", "number"]);
const DATE_TYPES = new Set(["date", "date_nanos"]);

const kindOf = (type) => (NUMBER_TYPES.has(type) ? "number" : DATE_TYPES.has(type) ? "date" : type === "boolean" ? "boolean" : "string");

// What a pill says: "action: BLOCK", "NOT client.ip: exists", "status: 400 to 500".
export function describeFilter(filter) {
  const meta = filter.meta || {};
  let text = meta.alias;
  if (!text) {
    if (meta.key) text = `${meta.key}: ${meta.value ?? ""}`;
    else text = JSON.stringify(filterClause(filter));
  }
  return `${meta.negate ? "NOT " : ""}${text}`;
}

let menus = 0;

// Moves the focus among a menu's items with the arrow keys, Home and End.
function menuKeys(event, items) {
  const index = items.indexOf(document.activeElement);
  const next = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: items.length - 1 }[event.key];
  if (next === undefined) return false;
  event.preventDefault();
  items[(next + items.length) % items.length].focus();
  return true;
}

export class FilterPills {
  // `change(filters)` after any edit; `fields` [{name, type}] offered by Add filter;
  // `index` the index pattern's id written in new filters' meta.
  constructor({ filters = [], fields = [], index, change }) {
    this.filters = filters;
    this.fields = fields;
    this.index = index;
    this.change = change;
    this.list = h("div", { class: "filter-pills", role: "list", "aria-label": "Filters" });
    this.addButton = h("button", { type: "button", class: "link add-filter", "aria-haspopup": "dialog", "aria-expanded": "false",
      onclick: () => (this.form.hidden ? this.openForm() : this.closeForm(true)) }, "+ Add filter");
    this.form = this.buildForm();
    this.element = h("div", { class: "filter-bar" }, this.list, h("div", { class: "add-filter-box" }, this.addButton, this.form));
    this.outside = (event) => {
      if (!this.element.contains(event.target)) { this.closeForm(false); this.closeMenus(); }
    };
    document.addEventListener("mousedown", this.outside);
    this.render();
  }

  setFilters(filters) { this.filters = filters; this.render(); }

  setFields(fields, index = this.index) {
    this.fields = fields || [];
    this.index = index;
    this.fillFields();
  }

  edited() { this.render(); this.change(this.filters); }

  render() {
    this.list.replaceChildren(...this.filters.map((filter, i) => this.pill(filter, i)));
  }

  pill(filter, i) {
    const meta = filter.meta || (filter.meta = {});
    const text = describeFilter(filter);
    const id = `filter-menu-${++menus}`;
    const label = h("button", { type: "button", class: "pill-label", "aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": id,
      title: meta.disabled ? `${text} (disabled)` : text, onclick: () => (menu.hidden ? openMenu() : closeMenu(true)) }, text);
    const item = (name, action) => h("button", { type: "button", role: "menuitem", class: "link", onclick: () => { closeMenu(true); action(); } }, name);
    const menu = h("div", { id, class: "pill-menu popover", role: "menu", "aria-label": `Filter ${text}`, hidden: true,
      onkeydown: (event) => {
        if (event.key === "Escape") { event.stopPropagation(); closeMenu(true); } else menuKeys(event, [...menu.querySelectorAll("button")]);
      } },
      item(meta.negate ? "Include results" : "Exclude results", () => { meta.negate = !meta.negate; this.edited(); }),
      item(meta.disabled ? "Re-enable" : "Temporarily disable", () => { meta.disabled = !meta.disabled; this.edited(); }),
      item("Delete", () => { this.filters.splice(i, 1); this.edited(); this.addButton.focus(); }));
    const openMenu = () => {
      this.closeMenus();
      menu.hidden = false;
      label.setAttribute("aria-expanded", "true");
      menu.querySelector("button").focus();
    };
    const closeMenu = (refocus) => {
      menu.hidden = true;
      label.setAttribute("aria-expanded", "false");
      if (refocus && label.isConnected) label.focus();
    };
    return h("span", { class: `pill${meta.negate ? " negate" : ""}${meta.disabled ? " disabled" : ""}`, role: "listitem", "data-key": meta.key ?? "" },
      label,
      h("button", { type: "button", class: "pill-remove", "aria-label": `Remove filter ${text}`, title: "Remove",
        onclick: () => { this.filters.splice(i, 1); this.edited(); this.addButton.focus(); } }, "×"),
      menu);
  }

  closeMenus() {
    for (const menu of this.list.querySelectorAll(".pill-menu")) {
      menu.hidden = true;
      menu.parentElement.querySelector(".pill-label").setAttribute("aria-expanded", "false");
    }
  }

  buildForm() {
    this.fieldSelect = h("select", { class: "filter-field", required: true, onchange: () => this.fillOperators() });
    this.fieldText = h("input", { type: "text", class: "filter-field", required: true, placeholder: "field name", autocomplete: "off",
      oninput: () => this.fillOperators() });
    this.fieldBox = h("span", { class: "field-control" });
    this.operator = h("select", { class: "filter-operator", onchange: () => this.fillValue() });
    this.valueBox = h("div", { class: "filter-value" });
    this.formError = h("p", { class: "error", role: "alert", hidden: true });
    const form = h("form", { class: "add-filter-form popover", role: "dialog", "aria-label": "Add filter", hidden: true,
      onsubmit: (event) => { event.preventDefault(); this.submitForm(); },
      onkeydown: (event) => { if (event.key === "Escape") { event.stopPropagation(); this.closeForm(true); } } },
      h("h4", {}, "Add filter"),
      h("label", { class: "field" }, h("span", { class: "label" }, "Field"), this.fieldBox),
      h("label", { class: "field" }, h("span", { class: "label" }, "Operator"), this.operator),
      this.valueBox, this.formError,
      h("div", { class: "buttons" }, h("button", { type: "submit" }, "Add filter"),
        h("button", { type: "button", class: "secondary", onclick: () => this.closeForm(true) }, "Cancel")));
    return form;
  }

  fillFields() {
    if (this.fields.length) {
      const chosen = this.fieldSelect.value;
      this.fieldSelect.replaceChildren(...this.fields.map((f) => h("option", { value: f.name }, f.name)));
      if (this.fields.some((f) => f.name === chosen)) this.fieldSelect.value = chosen;
      this.fieldBox.replaceChildren(this.fieldSelect);
    } else {
      this.fieldBox.replaceChildren(this.fieldText);
    }
    this.fillOperators();
  }

  fieldName() { return (this.fields.length ? this.fieldSelect.value : this.fieldText.value).trim(); }

  fieldKind() {
    const field = this.fields.find((f) => f.name === this.fieldName());
    return field ? kindOf(field.type) : "unknown";
  }

  fillOperators() {
    const kind = this.fieldKind();
    const chosen = this.operator.value;
    const operators = [["is", "is"], ["is_not", "is not"], ["exists", "exists"], ["not_exists", "does not exist"]];
    if (kind === "number" || kind === "date" || kind === "unknown") operators.push(["between", "is between"]);
    this.operator.replaceChildren(...operators.map(([value, label]) => h("option", { value }, label)));
    if (operators.some(([value]) => value === chosen)) this.operator.value = chosen;
    this.fillValue();
  }

  fillValue() {
    const kind = this.fieldKind();
    const operator = this.operator.value;
    const input = (cls, label) => {
      const type = kind === "number" ? "number" : kind === "date" ? "datetime-local" : "text";
      return h("label", { class: "field" }, h("span", { class: "label" }, label),
        h("input", { type, class: cls, step: kind === "number" ? "any" : kind === "date" ? "1" : undefined, autocomplete: "off" }));
    };
    if (operator === "exists" || operator === "not_exists") this.valueBox.replaceChildren();
    else if (operator === "between") this.valueBox.replaceChildren(h("div", { class: "row between" }, input("filter-from", "From (included)"), input("filter-to", "To (excluded)")));
    else if (kind === "boolean") {
      this.valueBox.replaceChildren(h("label", { class: "field" }, h("span", { class: "label" }, "Value"),
        h("select", { class: "filter-input" }, h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"))));
    } else this.valueBox.replaceChildren(input("filter-input", "Value"));
  }

  // A value as the field wants it: a number, an ISO instant for a local datetime, a boolean.
  typed(text) {
    const kind = this.fieldKind();
    if (text === "") return "";
    if (kind === "number") return Number(text);
    if (kind === "date") return new Date(text).toISOString();
    if (kind === "boolean") return text === "true";
    return text;
  }

  openForm() {
    this.closeMenus();
    this.fillFields();
    this.formError.hidden = true;
    this.form.hidden = false;
    this.addButton.setAttribute("aria-expanded", "true");
    this.form.querySelector(".filter-field").focus();
  }

  closeForm(refocus) {
    if (this.form.hidden) return;
    this.form.hidden = true;
    this.addButton.setAttribute("aria-expanded", "false");
    if (refocus) this.addButton.focus();
  }

  submitForm() {
    const fail = (message) => { this.formError.textContent = message; this.formError.hidden = false; };
    const field = this.fieldName();
    if (!field) return fail("Choose a field.");
    const operator = this.operator.value;
    const options = { index: this.index };
    let filter;
    if (operator === "exists" || operator === "not_exists") {
      filter = existsFilter(field, { ...options, negate: operator === "not_exists" });
    } else if (operator === "between") {
      const gte = this.typed(this.valueBox.querySelector(".filter-from").value);
      const lt = this.typed(this.valueBox.querySelector(".filter-to").value);
      if (gte === "" && lt === "") return fail("Give at least one bound.");
      filter = rangeBetweenFilter(field, { gte, lt }, options);
    } else {
      const raw = this.valueBox.querySelector(".filter-input").value;
      if (raw === "") return fail("Give a value.");
      filter = phraseFilter(field, this.typed(raw), { ...options, negate: operator === "is_not" });
    }
    this.closeForm(true);
    this.filters.push(filter);
    this.edited();
  }

  destroy() { document.removeEventListener("mousedown", this.outside); }
}
