// Small building blocks of the pages (security, alerting, notifications, ingest): lists of
// values edited as chips, notices, tables, form rows, bar charts and sections with tabs.

import { $, call, h } from "./lib.js";

let lists = 0;

// A list of values (backend roles, index patterns, actions...) edited as removable chips; the
// input offers `suggestions` (e.g. the action groups) and takes free text too.
export function chips(name, values = [], suggestions = [], placeholder = "") {
  const listId = `suggest-${++lists}`;
  const items = h("span", { class: "chip-items" });
  const input = h("input", { name, list: listId, placeholder, autocomplete: "off" });
  const box = h("div", { class: "chips", "data-name": name }, items, input,
    h("button", { type: "button", class: "secondary small", onclick: () => add(input.value) }, "Add"),
    h("datalist", { id: listId }, suggestions.map((s) => h("option", { value: s.value ?? s }, s.label ?? null))));
  const chosen = () => [...items.querySelectorAll(".chip")].map((c) => c.dataset.value);
  const add = (value) => {
    for (const part of String(value).split(",").map((v) => v.trim()).filter(Boolean)) {
      if (chosen().includes(part)) continue;
      items.append(h("span", { class: "chip", "data-value": part }, part,
        h("button", { type: "button", class: "chip-remove", title: `Remove ${part}`, "aria-label": `Remove ${part}`,
          onclick: (event) => event.target.closest(".chip").remove() }, "×")));
    }
    input.value = "";
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); add(input.value); }
  });
  input.addEventListener("change", () => { if (suggestions.some((s) => (s.value ?? s) === input.value)) add(input.value); });
  // What the list holds, including text typed but not yet added.
  box.values = () => [...new Set(chosen().concat(input.value.split(",").map((v) => v.trim()).filter(Boolean)))];
  add(values.join(","));
  return box;
}

export function field(label, control, hint) {
  return h("label", { class: "field" }, h("span", { class: "label" }, label), control,
    hint ? h("span", { class: "hint" }, hint) : null);
}

export function notice(message, kind = "error") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
}

// Replaces the page with `nodes`.
export function page(container, ...nodes) {
  container.replaceChildren(...nodes.flat(Infinity).filter((node) => node !== null && node !== undefined));
}

export function table(headers, rows, empty = "None yet.") {
  return h("table", { class: "list" },
    h("thead", {}, h("tr", {}, headers.map((head) => h("th", {}, head)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, empty))));
}

export function badge(text, kind = "") {
  return h("span", { class: `tag ${kind}` }, text);
}

export function list(values) {
  return values && values.length ? values.join(", ") : h("span", { class: "muted" }, "—");
}

// Reserved and static entities are built in: shown, never edited.
export function builtIn(entity) {
  return Boolean(entity.reserved || entity.static);
}

export function kindBadge(entity) {
  if (!builtIn(entity)) return badge("custom");
  return [entity.reserved ? badge("reserved", "reserved") : null, entity.static ? badge("static", "reserved") : null];
}

// Runs `action` for a form's button and shows its refusal (the server's reason) in `status`.
export async function attempt(status, action) {
  status.replaceChildren();
  try {
    await action();
  } catch (error) {
    status.replaceChildren(notice(error.message || String(error)));
  }
}

export const enc = encodeURIComponent;

// Runs a page's `render`; a refusal replaces the page with the server's reason.
export async function shown(container, render) {
  try {
    await render();
  } catch (error) {
    page(container, notice(error.message || String(error)));
  }
}

// A list row's Edit link and Delete button (after a confirmation; then `after`).
export function rowActions(status, edit, what, path, after) {
  return [
    h("a", { href: edit, class: "button secondary small" }, "Edit"),
    h("button", { type: "button", class: "danger small", onclick: () => attempt(status, async () => {
      if (!confirm(`Delete ${what}?`)) return;
      await call("DELETE", path);
      await after();
    }) }, "Delete"),
  ];
}

// Horizontal bars; widths set through the CSS object model (the CSP refuses style attributes).
export function bars(rows) {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return rows.map(([label, n]) => {
    const fill = h("span", { class: "bar-fill" });
    fill.style.width = `${(100 * n) / max}%`;
    return h("div", { class: "bar-row", "data-label": label },
      h("span", { class: "bar-label" }, label), h("span", { class: "bar-track" }, fill),
      h("span", { class: "bar-count num" }, String(n)));
  });
}

// A secret shown once (a new API key, a HEC token): read-only, with a Copy button.
export function copyable(id, secret, buttonId) {
  const value = h("input", { id, readOnly: true, value: secret, class: "secret" });
  const copied = h("span", { class: "muted", "aria-live": "polite" });
  const copy = async () => {
    value.select();
    try { await navigator.clipboard.writeText(secret); } catch { document.execCommand("copy"); }
    copied.textContent = "Copied.";
  };
  return h("div", { class: "copy" }, value, h("button", { type: "button", id: buttonId, onclick: copy }, "Copy"), copied);
}

// A byte count as people read it: "512 B", "1.5 KB".
export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Number(bytes), unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

// A section: its tabs (nav `#<section>-nav`, links with data-page) and its pages.
export async function showSection(section, pages, [name, ...args]) {
  const current = pages[name] ? name : Object.keys(pages)[0];
  for (const link of $(`#${section}-nav`).querySelectorAll("a")) link.classList.toggle("active", link.dataset.page === current);
  await pages[current]($(`#${section}-page`), args);
}
