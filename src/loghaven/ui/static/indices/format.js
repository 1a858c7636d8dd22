// What the index management pages share: how figures read, the typed confirmation that guards
// a deletion, and where an index's tier comes from.

import { h } from "../lib.js";

export const count = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en"));

// An index's data tier from its flat settings. Loghaven keeps every index on the hot tier until
// issue 19 lands; Amazon OpenSearch's UltraWarm marks a warm index with this routing setting,
// which is the seam where issue 19's migration shows here (nothing else needs to change).
export function tierOf(flatSettings = {}) {
  return flatSettings["index.routing.allocation.require.box_type"] || "hot";
}

// A modal that asks to type `name` before the destructive `label` button is enabled; resolves
// true when confirmed. Typing the name, not a click, is what OpenSearch Dashboards asks too.
export function confirmTyped(name, what, label = "Delete") {
  return new Promise((resolve) => {
    let confirmed = false;  // only the button (or Enter once the name is typed) confirms
    const input = h("input", { id: "confirm-name", autocomplete: "off", spellcheck: "false" });
    const go = h("button", { type: "submit", class: "danger", id: "confirm-delete", disabled: true }, label);
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" },
      h("form", { method: "dialog", onsubmit: () => { confirmed = input.value === name; } },
        h("h3", { id: "confirm-title" }, `${label} ${what}?`),
        h("p", {}, "This cannot be undone. Type ", h("strong", { class: "typed" }, name), " to confirm."),
        h("label", { class: "field" }, h("span", { class: "label" }, "Name"), input),
        h("div", { class: "buttons" }, go,
          h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel"))));
    input.addEventListener("input", () => { go.disabled = input.value !== name; });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(confirmed);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

// A JSON value, pretty-printed, in a block that scrolls.
export function jsonBlock(value, id) {
  return h("pre", { class: "json", id, tabindex: "0" }, JSON.stringify(value, null, 2));
}
