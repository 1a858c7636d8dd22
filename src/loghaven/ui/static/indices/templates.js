// Index management → Templates: composable index templates (_index_template), the component
// templates they are composed of (_component_template) and legacy templates (_template), each
// listed with its patterns and precedence, viewed and edited as the JSON the API takes, deleted.

import { call, h } from "../lib.js";
import { attempt, enc, field, list, page, rowActions, shown, table } from "../widgets.js";
import { parseJson } from "./create.js";

// Each kind: its API prefix, how the list reads an entry, and a body to start from.
const KINDS = {
  index: {
    title: "Index templates", one: "index template", prefix: "_index_template",
    hint: "Composable templates: the one with the highest priority whose patterns match a new index applies, with its component templates.",
    headers: ["Name", "Index patterns", "Priority", "Version", "Composed of", ""],
    load: async () => (await call("GET", "/_index_template")).index_templates.map((t) => ({ name: t.name, body: t.index_template })),
    cells: (b) => [list(b.index_patterns), b.priority ?? 0, b.version ?? "—", list(b.composed_of)],
    example: { index_patterns: ["logs-*"], priority: 100, template: { settings: { number_of_replicas: 1 },
      mappings: { properties: { "@timestamp": { type: "date" } } } }, composed_of: [] },
  },
  component: {
    title: "Component templates", one: "component template", prefix: "_component_template",
    hint: "Building blocks of settings, mappings and aliases that index templates list in composed_of.",
    headers: ["Name", "Holds", "Version", ""],
    load: async () => (await call("GET", "/_component_template")).component_templates.map((t) => ({ name: t.name, body: t.component_template })),
    cells: (b) => [list(Object.keys(b.template || {})), b.version ?? "—"],
    example: { template: { mappings: { properties: { "client.ip": { type: "ip" } } } } },
  },
  legacy: {
    title: "Legacy templates", one: "legacy template", prefix: "_template",
    hint: "Templates of the _template API (Elasticsearch 6 and 7 clients): all that match apply, in order.",
    headers: ["Name", "Index patterns", "Order", "Version", ""],
    load: async () => Object.entries(await call("GET", "/_template")).map(([name, body]) => ({ name, body })),
    cells: (b) => [list(b.index_patterns), b.order ?? 0, b.version ?? "—"],
    example: { index_patterns: ["logs-*"], order: 0, settings: { number_of_replicas: 1 }, mappings: {} },
  },
};

// #indices/templates, #indices/templates/new/<kind>, #indices/templates/edit/<kind>/<name>
export async function renderTemplates(container, [mode, kind, name]) {
  await shown(container, async () => {
    if ((mode === "new" || mode === "edit") && KINDS[kind]) await renderEditor(container, kind, mode === "edit" ? name : null);
    else await renderList(container);
  });
}

async function renderList(container) {
  const status = h("div", { class: "status", id: "templates-status", "aria-live": "polite" });
  const loaded = await Promise.all(Object.values(KINDS).map((k) => k.load()));
  const parts = Object.entries(KINDS).map(([id, kind], i) => {
    const rows = loaded[i].sort((a, b) => a.name.localeCompare(b.name)).map(({ name, body }) =>
      h("tr", { "data-template": name, "data-kind": id },
        h("td", {}, h("a", { href: `#indices/templates/edit/${id}/${enc(name)}` }, h("strong", {}, name))),
        kind.cells(body).map((value) => h("td", {}, value)),
        h("td", { class: "actions" }, rowActions(status, `#indices/templates/edit/${id}/${enc(name)}`,
          `the ${kind.one} ${name}`, `/${kind.prefix}/${enc(name)}`, () => renderList(container)))));
    const listing = table(kind.headers, rows, `No ${kind.one}s yet.`);
    listing.id = `templates-${id}`;
    return h("section", { class: "templates" },
      h("div", { class: "toolbar" }, h("h3", {}, kind.title),
        h("a", { href: `#indices/templates/new/${id}`, class: "button small", id: `new-${id}-template` }, `Create ${kind.one}`)),
      h("p", { class: "hint" }, kind.hint), h("div", { class: "table-scroll" }, listing));
  });
  page(container, status, parts);
}

async function renderEditor(container, kindId, name) {
  const kind = KINDS[kindId];
  let body = kind.example;
  if (name) {
    const found = (await kind.load()).find((t) => t.name === name);
    if (!found) throw new Error(`404: the ${kind.one} ${name} does not exist (any more): pick one in Templates.`);
    body = found.body;
  }
  const status = h("div", { class: "status", id: "template-status", "aria-live": "polite" });
  const nameInput = h("input", { id: "template-name", value: name || "", readOnly: Boolean(name), required: true, autocomplete: "off", spellcheck: "false" });
  const text = h("textarea", { id: "template-body", rows: 18, spellcheck: "false" }, JSON.stringify(body, null, 2));
  const save = () => attempt(status, async () => {
    const chosen = nameInput.value.trim();
    if (!chosen) throw new Error(`Give the ${kind.one} a name.`);
    await call("PUT", `/${kind.prefix}/${enc(chosen)}`, parseJson(text.value, `${kind.one}`));
    location.hash = "#indices/templates";
  });
  page(container,
    h("form", { class: "form wide", id: "template-form", onsubmit: (event) => { event.preventDefault(); save(); } },
      h("h3", {}, name ? `Edit ${kind.one} ${name}` : `Create ${kind.one}`),
      field("Name", nameInput),
      field("Template (JSON)", text, `The body of PUT /${kind.prefix}/<name>.`),
      status,
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "template-save" }, "Save"),
        h("a", { href: "#indices/templates", class: "button secondary" }, "Cancel"))));
}
