// What the index management pages share: how figures read, the typed confirmation that guards
// a deletion, and where an index's tier comes from.

import { h } from "../lib.js";
import { table } from "../widgets.js";

export const count = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en"));

// An index's data tier from its flat settings: Amazon OpenSearch's UltraWarm marks a warm index
// with this routing setting, and so does Loghaven's migration (lifecycle/migration.py).
export function tierOf(flatSettings = {}) {
  return flatSettings["index.routing.allocation.require.box_type"] || "hot";
}

// A modal form: `children` (text, fields) above the `label` button and Cancel; resolves true
// when the form was submitted, false when cancelled (Cancel, Escape). `ready()` (optional)
// says whether the button may be pressed yet; it is asked again on every input.
export function ask(title, children, label, { danger = false, ready = null, id = "confirm-go" } = {}) {
  return new Promise((resolve) => {
    let confirmed = false;
    const go = h("button", { type: "submit", class: danger ? "danger" : null, id, disabled: ready ? !ready() : false }, label);
    const form = h("form", { method: "dialog", onsubmit: () => { confirmed = !ready || ready(); } },
      h("h3", { id: "confirm-title" }, title), children,
      h("div", { class: "buttons" }, go,
        h("button", { type: "button", class: "secondary", id: "confirm-cancel", onclick: () => dialog.close() }, "Cancel")));
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" }, form);
    if (ready) form.addEventListener("input", () => { go.disabled = !ready(); });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(confirmed);
    });
    document.body.append(dialog);
    dialog.showModal();
    (form.querySelector("input, select, textarea") || go).focus();
  });
}

// Asks to type `name` before the destructive `label` button is enabled; resolves true when
// confirmed. Typing the name, not a click, is what OpenSearch Dashboards asks too.
export function confirmTyped(name, what, label = "Delete") {
  const input = h("input", { id: "confirm-name", autocomplete: "off", spellcheck: "false" });
  return ask(`${label} ${what}?`, [
    h("p", {}, "This cannot be undone. Type ", h("strong", { class: "typed" }, name), " to confirm."),
    h("label", { class: "field" }, h("span", { class: "label" }, "Name"), input),
  ], label, { danger: true, ready: () => input.value === name, id: "confirm-delete" });
}

// Tabs inside a tab (Lifecycle policies: policies, managed indices): links with `current`
// marked, as the section's own tabs are.
export function subnav(label, links, current) {
  return h("nav", { class: "tabs subtabs", "aria-label": label },
    links.map(([id, text, href]) => h("a", { href, "data-page": id, class: id === current ? "active" : null,
      "aria-current": id === current ? "page" : null }, text)));
}

// A list's table (id `id`) in a box that scrolls sideways on a narrow screen; with no rows,
// the `empty` sentence alone (a table of headers only would be cut at a phone's width).
export function listTable(id, headers, rows, empty) {
  if (!rows.length) return h("p", { class: "empty-list", id }, empty);
  const list = table(headers, rows);
  list.id = id;
  return h("div", { class: "table-scroll" }, list);
}

// A tier as a badge (hot, warm).
export function tierBadge(tier) {
  return h("span", { class: `tag tier-${tier}` }, tier);
}

// A JSON value, pretty-printed, in a block that scrolls.
export function jsonBlock(value, id) {
  return h("pre", { class: "json", id, tabindex: "0" }, JSON.stringify(value, null, 2));
}
