// Index management → Aliases: every alias with its indices (one row per pair), the write index
// and filter; added and removed with POST /_aliases, as OpenSearch Dashboards does.

import { call, h } from "../lib.js";
import { attempt, enc, field, notice, page, shown, table } from "../widgets.js";
import { parseJson } from "./create.js";

// [{alias, index, props}] from GET /_alias (which lists every index, with or without aliases).
async function aliasRows() {
  const found = await call("GET", "/_alias?expand_wildcards=all");
  const rows = [];
  for (const [index, { aliases = {} }] of Object.entries(found)) {
    for (const [alias, props] of Object.entries(aliases)) rows.push({ alias, index, props });
  }
  return { rows: rows.sort((a, b) => a.alias.localeCompare(b.alias) || a.index.localeCompare(b.index)), indices: Object.keys(found).sort() };
}

// #indices/aliases
export async function renderAliases(container) {
  await shown(container, () => draw(container));
}

async function draw(container) {
  const { rows, indices } = await aliasRows();
  const status = h("div", { class: "status", id: "aliases-status", "aria-live": "polite" });
  const update = (action) => attempt(status, async () => {
    await call("POST", "/_aliases", { actions: [action] });
    await draw(container);
  });
  const body = rows.map(({ alias, index, props }) => h("tr", { "data-alias": alias, "data-index": index },
    h("td", {}, h("strong", {}, alias)),
    h("td", {}, h("a", { href: `#indices/index/${enc(index)}` }, index)),
    h("td", {}, props.is_write_index ? h("span", { class: "tag on" }, "write index") : h("span", { class: "muted" }, "—")),
    h("td", {}, props.filter ? h("code", { class: "clipped" }, JSON.stringify(props.filter)) : h("span", { class: "muted" }, "—")),
    h("td", { class: "actions" }, h("button", { type: "button", class: "danger small", "aria-label": `Remove ${alias} from ${index}`,
      onclick: () => confirm(`Remove the alias ${alias} from ${index}?`) && update({ remove: { index, alias } }) }, "Remove"))));

  const alias = h("input", { id: "alias-name", required: true, autocomplete: "off", spellcheck: "false" });
  const index = h("input", { id: "alias-index", required: true, list: "alias-indices", autocomplete: "off", placeholder: "logs-* or an index name" });
  const write = h("input", { type: "checkbox", id: "alias-write" });
  const filter = h("textarea", { id: "alias-filter", rows: 3, spellcheck: "false", placeholder: '{"term": {"service": "web"}}' });
  const add = () => {
    let spec;
    try {
      spec = { index: index.value.trim(), alias: alias.value.trim() };
      if (write.checked) spec.is_write_index = true;
      if (filter.value.trim()) spec.filter = parseJson(filter.value, "filter");
    } catch (error) {
      status.replaceChildren(notice(error.message));
      return;
    }
    update({ add: spec });
  };
  const listing = table(["Alias", "Index", "Writes", "Filter", ""], body, "No aliases yet: add one below.");
  listing.id = "aliases-table";
  page(container, status, h("div", { class: "table-scroll" }, listing),
    h("form", { class: "form", id: "alias-form", onsubmit: (event) => { event.preventDefault(); add(); } },
      h("h3", {}, "Add an alias"),
      h("datalist", { id: "alias-indices" }, indices.map((name) => h("option", { value: name }))),
      field("Alias", alias),
      field("Index", index, "An index name or a pattern: the alias points at every index it matches."),
      h("label", { class: "field check" }, write, "Write index", h("span", { class: "hint" }, "Writes to the alias go to this index.")),
      field("Filter (optional query JSON)", filter, "Searches through the alias see only the documents this query matches."),
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "alias-add" }, "Add alias"))));
}
