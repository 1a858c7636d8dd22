// Index patterns (#management/patterns): the list with the default one starred, creation
// (a title with wildcards, the indices it matches shown as it is typed, the time field
// chosen among their date fields), a pattern's fields, the default, deletion.

import { h } from "../lib.js";
import { createObject, deleteObject } from "../savedobjects.js";
import { fieldsOf, listPatterns, loadPattern, resolveTitle, setDefaultPattern, storedDefaultId } from "../search/patterns.js";
import { attempt, badge, enc, field, notice, page, shown, table } from "../widgets.js";

const BASE = "#management/patterns";
// Characters OpenSearch Dashboards refuses in a title (index names cannot hold them either).
const ILLEGAL = /[\\/?"<>| ]/;

// #management/patterns, #management/patterns/new, #management/patterns/<id>
export async function showPatterns(root, [id], _params) {
  await shown(root, async () => {
    if (id === "new") await renderCreate(root);
    else if (id) await renderPattern(root, id);
    else await renderList(root);
  });
}

function star(isDefault, title) {
  return isDefault ? h("span", { class: "default-star", title: "Default index pattern", "aria-label": `${title} is the default index pattern` }, "★") : null;
}

async function makeDefault(status, id, after) {
  await attempt(status, async () => {
    await setDefaultPattern(id);
    await after();
  });
}

// Deleting the default pattern clears the setting, as OpenSearch Dashboards does.
async function remove(status, pattern, isDefault, after) {
  await attempt(status, async () => {
    if (!confirm(`Delete the index pattern ${pattern.title}? Saved searches and visualizations that use it stop working.`)) return;
    await deleteObject("index-pattern", pattern.id);
    if (isDefault) await setDefaultPattern(null);
    await after();
  });
}

async function renderList(root) {
  const [patterns, defaultId] = await Promise.all([listPatterns(), storedDefaultId()]);
  const status = h("div", { class: "status", "aria-live": "polite" });
  const rows = patterns.map((pattern) => {
    const isDefault = pattern.id === defaultId;
    return h("tr", { "data-pattern": pattern.id, "data-title": pattern.title },
      h("td", {}, h("a", { href: `${BASE}/${enc(pattern.id)}` }, pattern.title), " ", star(isDefault, pattern.title)),
      h("td", {}, pattern.timeFieldName ?? h("span", { class: "muted" }, "no time field")),
      h("td", { class: "actions" },
        isDefault ? badge("default", "on") : h("button", { type: "button", class: "secondary small set-default", "aria-label": `Set ${pattern.title} as the default index pattern`,
          onclick: () => makeDefault(status, pattern.id, () => renderList(root)) }, "☆ Set as default"),
        h("button", { type: "button", class: "danger small delete", "aria-label": `Delete index pattern ${pattern.title}`,
          onclick: () => remove(status, pattern, isDefault, () => renderList(root)) }, "Delete")));
  });
  page(root,
    h("div", { class: "toolbar" }, h("p", { class: "hint" }, "Index patterns name the indices that Discover, Visualize and Dashboards search (e.g. waf-*), and their time field."),
      h("a", { href: `${BASE}/new`, class: "button", id: "create-pattern" }, "Create index pattern")),
    status,
    table(["Title", "Time field", ""], rows, "No index pattern yet: create one to search your indices in Discover."));
}

async function renderCreate(root) {
  const existing = await listPatterns();
  const title = h("input", { id: "pattern-title", type: "text", required: true, autocomplete: "off", spellcheck: "false", placeholder: "waf-*",
    "aria-describedby": "pattern-matches" });
  const matches = h("div", { id: "pattern-matches", class: "pattern-matches", "aria-live": "polite" }, h("span", { class: "muted" }, "Type a pattern to see the indices it matches."));
  const timeField = h("select", { id: "pattern-time-field", disabled: true }, h("option", { value: "" }, "—"));
  const create = h("button", { type: "submit", id: "save-pattern", disabled: true }, "Create index pattern");
  const status = h("div", { class: "status", "aria-live": "polite" });
  let asked = 0;

  // What the title matches and the date fields of those indices, as the title is typed;
  // an answer to an older keystroke is dropped.
  const look = async () => {
    const text = title.value.trim();
    const mine = ++asked;
    create.disabled = true;
    timeField.disabled = true;
    if (!text) { matches.replaceChildren(h("span", { class: "muted" }, "Type a pattern to see the indices it matches.")); return; }
    if (ILLEGAL.test(text)) { matches.replaceChildren(notice("A pattern cannot contain spaces or the characters \\ / ? \" < > |.")); return; }
    if (existing.some((p) => p.title === text)) { matches.replaceChildren(notice(`An index pattern titled ${text} already exists.`)); return; }
    let found;
    let fields;
    try {
      [found, fields] = await Promise.all([resolveTitle(text), fieldsOf(text)]);
    } catch (error) {
      if (mine === asked) matches.replaceChildren(notice(error.message));
      return;
    }
    if (mine !== asked) return;
    if (!found.length) {
      matches.replaceChildren(notice(`No index, alias or data stream matches ${text}. Send documents first, or use a * wildcard (e.g. ${text.replace(/\*?$/, "*")}).`, "info"));
      return;
    }
    matches.replaceChildren(h("p", { class: "match-count" }, `Your pattern matches ${found.length} source${found.length === 1 ? "" : "s"}:`),
      h("ul", { class: "plain match-list" }, found.slice(0, 50).map((m) => h("li", {}, m.name, " ", badge(m.kind))),
        found.length > 50 ? h("li", { class: "muted" }, `and ${found.length - 50} more`) : null));
    const dates = fields.filter((f) => f.type === "date" || f.type === "date_nanos").map((f) => f.name);
    const previous = timeField.value;
    timeField.replaceChildren(...dates.map((name) => h("option", { value: name }, name)),
      h("option", { value: "" }, "I don't want to use the time filter"));
    timeField.value = dates.includes(previous) ? previous : (dates.includes("@timestamp") ? "@timestamp" : (dates[0] ?? ""));
    timeField.disabled = false;
    create.disabled = false;
  };
  let pending = null;
  title.addEventListener("input", () => { clearTimeout(pending); pending = setTimeout(look, 200); });

  const submit = (event) => { event.preventDefault(); return attempt(status, async () => {
    const text = title.value.trim();
    const attributes = { title: text, fields: "[]" };
    if (timeField.value) attributes.timeFieldName = timeField.value;
    const created = await createObject("index-pattern", attributes);
    // The first pattern becomes the default, as in OpenSearch Dashboards.
    if (!(await storedDefaultId())) await setDefaultPattern(created.id);
    location.hash = `${BASE}/${enc(created.id)}`;
  }); };

  page(root,
    h("p", {}, h("a", { href: BASE }, "← Index patterns")),
    h("form", { class: "form", id: "pattern-form", onsubmit: submit },
      h("h3", {}, "Create index pattern"),
      field("Index pattern name", title, "Use * to match several indices: waf-* matches waf-2026.12.05 and waf-eu. Separate several with commas."),
      matches,
      field("Time field", timeField, "Discover's histogram and the time picker filter on it. Only date fields of the matching indices are offered."),
      h("div", { class: "buttons" }, create, h("a", { href: BASE, class: "button secondary" }, "Cancel")),
      status));
  title.focus();
}

async function renderPattern(root, id) {
  const [pattern, defaultId] = await Promise.all([loadPattern(id), storedDefaultId()]);
  const isDefault = pattern.id === defaultId;
  const status = h("div", { class: "status", "aria-live": "polite" });
  const yesNo = (value) => (value ? badge("yes", "on") : badge("no", "off"));
  const rows = pattern.fields.map((f) => h("tr", { "data-field": f.name },
    h("td", {}, f.name, f.name === pattern.timeFieldName ? h("span", { class: "muted" }, " (time field)") : null),
    h("td", {}, f.type), h("td", {}, yesNo(f.searchable)), h("td", {}, yesNo(f.aggregatable))));
  page(root,
    h("p", {}, h("a", { href: BASE }, "← Index patterns")),
    h("div", { class: "toolbar pattern-head" },
      h("h3", { id: "pattern-name" }, pattern.title, " ", star(isDefault, pattern.title)),
      isDefault ? null : h("button", { type: "button", class: "secondary small set-default",
        onclick: () => makeDefault(status, pattern.id, () => renderPattern(root, id)) }, "☆ Set as default"),
      h("button", { type: "button", class: "danger small delete",
        onclick: () => remove(status, pattern, isDefault, async () => { location.hash = BASE; }) }, "Delete")),
    h("p", { class: "hint" }, pattern.timeFieldName ? `Time field: ${pattern.timeFieldName}. ` : "No time field. ",
      `${pattern.fields.length} field${pattern.fields.length === 1 ? "" : "s"}, read from the matching indices' mappings (_field_caps).`),
    status,
    table(["Name", "Type", "Searchable", "Aggregatable"], rows, `No field: no index matches ${pattern.title} now.`));
}
