// Saved objects: every index pattern, search, visualization, dashboard and config; search and
// filter by type, inspect, export (NDJSON, downloaded), delete, and import (OSD NDJSON or
// Kibana 6 export.json) with OpenSearch Dashboards' flyout steps: the conflict mode, then for
// each missing index pattern a choice of an existing one (`_resolve_import_errors` with
// `replaceReferences`), then what was imported and what was skipped, and why.

import { h } from "../lib.js";
import { listPatterns } from "../search/patterns.js";
import { deleteObject, exportObjects, findObjects, importObjects, resolveImportErrors } from "../savedobjects.js";
import { attempt, badge, notice, page, table } from "../widgets.js";

const TYPES = ["index-pattern", "search", "visualization", "dashboard", "config"];
const TYPE_NAMES = { "index-pattern": "index pattern", search: "saved search", visualization: "visualization", dashboard: "dashboard", config: "advanced settings" };

function titleOf(object) {
  return object.attributes?.title || object.meta?.title || object.title || (object.type === "config" ? `Advanced settings [${object.id}]` : object.id);
}

// Where an object opens: its own page in the UI.
function linkOf(object) {
  const id = encodeURIComponent(object.id);
  return { dashboard: `#dashboards/view/${id}`, visualization: `#visualize/edit/${id}`, search: `#discover/view/${id}`, "index-pattern": `#management/patterns/${id}` }[object.type] ?? null;
}

// The file the browser saves: a Blob URL behind an <a download>.
function download(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function dialog(id, title, ...content) {
  const box = h("dialog", { class: "dash-dialog", id, "aria-label": title },
    h("div", { class: "toolbar" }, h("h3", {}, title),
      h("button", { type: "button", class: "secondary small", onclick: () => box.close() }, "Close")),
    ...content);
  box.addEventListener("close", () => box.remove());
  window.addEventListener("hashchange", () => box.close(), { once: true });
  document.body.append(box);
  box.showModal();
  return box;
}

export function showObjects(root, _args, _params) {
  const status = h("div", { id: "objects-status", "aria-live": "polite" });
  const search = h("input", { type: "search", id: "objects-search", placeholder: "Search by title", "aria-label": "Search saved objects by title" });
  const type = h("select", { id: "objects-type", "aria-label": "Type" },
    h("option", { value: "" }, "All types"), TYPES.map((t) => h("option", { value: t }, TYPE_NAMES[t])));
  const exportSelected = h("button", { type: "button", class: "secondary", id: "export-selected", disabled: true }, "Export");
  const deleteSelected = h("button", { type: "button", class: "danger", id: "delete-selected", disabled: true }, "Delete");
  const list = h("div", { id: "objects-list" });
  let objects = [];
  const selected = () => objects.filter((o) => list.querySelector(`input[data-key="${CSS.escape(`${o.type}/${o.id}`)}"]`)?.checked);
  const selectionChanged = () => {
    const n = selected().length;
    exportSelected.disabled = deleteSelected.disabled = !n;
    exportSelected.textContent = n ? `Export ${n}` : "Export";
    deleteSelected.textContent = n ? `Delete ${n}` : "Delete";
  };

  const load = () => attempt(status, async () => {
    const text = search.value.trim();
    const found = await findObjects(type.value ? [type.value] : TYPES, { search: text ? `${text}*` : "", perPage: 10000, operator: "AND" });
    objects = found.saved_objects.sort((a, b) => a.type.localeCompare(b.type) || titleOf(a).localeCompare(titleOf(b)));
    const all = h("input", { type: "checkbox", "aria-label": "Select all", onchange: () => {
      for (const box of list.querySelectorAll("tbody input[type=checkbox]")) box.checked = all.checked;
      selectionChanged();
    } });
    const rows = objects.map((object) => {
      const href = linkOf(object);
      return h("tr", { "data-type": object.type, "data-id": object.id },
        h("td", { class: "check" }, h("input", { type: "checkbox", "data-key": `${object.type}/${object.id}`, "aria-label": `Select ${titleOf(object)}`, onchange: selectionChanged })),
        h("td", {}, badge(TYPE_NAMES[object.type] || object.type)),
        h("td", {}, href ? h("a", { href }, titleOf(object)) : titleOf(object)),
        h("td", { class: "muted" }, object.updated_at ? new Date(object.updated_at).toLocaleString() : "—"),
        h("td", { class: "actions" }, h("button", { type: "button", class: "secondary small inspect", "aria-label": `Inspect ${titleOf(object)}`, onclick: () => inspect(object) }, "Inspect")));
    });
    const shown = table([all, "Type", "Title", "Updated", ""], rows,
      text || type.value ? "No saved object matches." : "No saved objects yet: import a file, or save a search, visualization or dashboard.");
    shown.classList.add("objects");
    shown.querySelector("thead th").className = "check";
    list.replaceChildren(shown);
    selectionChanged();
  });

  exportSelected.addEventListener("click", () => attempt(status, async () => {
    const items = selected().map((o) => ({ type: o.type, id: o.id }));
    download(await exportObjects({ objects: items, includeReferencesDeep: true }), "export.ndjson");
  }));
  const exportAll = h("button", { type: "button", class: "secondary", id: "export-all", onclick: () => attempt(status, async () => {
    download(await exportObjects({ type: type.value ? [type.value] : TYPES }), "export.ndjson");
  }) }, "Export all");
  deleteSelected.addEventListener("click", () => attempt(status, async () => {
    const chosen = selected();
    const names = chosen.slice(0, 5).map((o) => `${TYPE_NAMES[o.type] || o.type} "${titleOf(o)}"`).join(", ");
    if (!confirm(`Delete ${chosen.length} saved object${chosen.length > 1 ? "s" : ""} (${names}${chosen.length > 5 ? ", …" : ""})? Dashboards and visualizations that use them will show them as missing.`)) return;
    for (const object of chosen) await deleteObject(object.type, object.id);
    await load();
    status.replaceChildren(notice(`Deleted ${chosen.length} saved object${chosen.length > 1 ? "s" : ""}.`, "success"));
  }));

  let timer = null;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  type.addEventListener("change", load);
  page(root,
    h("div", { class: "objects-toolbar" }, search, type,
      h("button", { type: "button", id: "import-objects", onclick: () => importDialog(load) }, "Import"),
      exportSelected, exportAll, deleteSelected),
    status, list);
  return load();
}

function inspect(object) {
  dialog("inspect-dialog", `${TYPE_NAMES[object.type] || object.type}: ${titleOf(object)}`,
    h("pre", { class: "json inspect-json", id: "inspect-json" }, JSON.stringify(object, null, 2)));
}

// ---- import ----

function reasonOf(error) {
  const e = error.error || {};
  if (e.type === "conflict") return "skipped: an object with this id exists (import again choosing overwrite or new copies)";
  if (e.type === "ambiguous_conflict") return "skipped: it matches several existing objects";
  if (e.type === "unsupported_type") return `skipped: the type "${error.type}" is not supported here`;
  if (e.type === "missing_references") {
    const refs = (e.references || []).map((r) => `${r.type} [${r.id}]`).join(", ");
    return `skipped: missing references: ${refs}${error.unmapped ? " (no index pattern chosen)" : ""}`;
  }
  return `skipped: ${e.message || e.type || "unknown error"}`;
}

// The missing index patterns of the errors: id → the objects that use it.
function missingPatterns(errors) {
  const missing = new Map();
  for (const error of errors) {
    if (error.error?.type !== "missing_references") continue;
    for (const ref of error.error.references || []) {
      if (ref.type !== "index-pattern") continue;
      if (!missing.has(ref.id)) missing.set(ref.id, []);
      missing.get(ref.id).push(error);
    }
  }
  return missing;
}

function importDialog(reload) {
  const file = h("input", { type: "file", id: "import-file", accept: ".ndjson,.json,application/json,application/x-ndjson", "aria-label": "File to import" });
  const mode = (value, text, checked = false) => h("label", {}, h("input", { type: "radio", name: "import-mode", value, checked }), " ", text);
  const modes = h("fieldset", { class: "import-modes" }, h("legend", {}, "Objects that already exist"),
    mode("overwrite", "Check for existing objects: overwrite them", true),
    mode("skip", "Check for existing objects: skip them (each is reported as a conflict)"),
    mode("copies", "Create new objects with random ids (new copies)"));
  const step = h("div", { id: "import-step" });
  const status = h("div", { id: "import-status", "aria-live": "polite" });
  const start = h("button", { type: "button", id: "start-import" }, "Import");
  const box = dialog("import-dialog", "Import saved objects",
    h("p", { class: "hint" }, "An NDJSON export of OpenSearch Dashboards or Kibana 7, or Kibana 6's export.json."),
    file, modes, h("div", { class: "buttons" }, start), status, step);
  start.addEventListener("click", () => attempt(status, async () => {
    const chosen = file.files[0];
    if (!chosen) throw new Error("Choose a file to import first.");
    const value = box.querySelector("input[name=import-mode]:checked").value;
    const options = { overwrite: value === "overwrite", createNewCopies: value === "copies" };
    start.disabled = true;
    try {
      const first = await importObjects(chosen, options);
      const errors = first.errors || [];
      const missing = missingPatterns(errors);
      if (missing.size) await remapStep(step, status, chosen, options, first, missing, reload);
      else if (errors.some((e) => BLOCKING.has(e.error?.type))) await retry(step, chosen, options, first, new Map());
      else showResult(step, first, errors);
    } finally {
      start.disabled = false;
      await reload();
    }
  }));
}

// An import that finds a conflict or a missing reference writes nothing (as in OpenSearch
// Dashboards): the objects are sent again to _resolve_import_errors, with the new index
// patterns chosen, the conflicts (when not overwriting) and the unmapped objects left out.
const BLOCKING = new Set(["conflict", "ambiguous_conflict", "missing_references"]);

async function retry(step, file, options, first, selects) {
  const keep = (one) => ({ type: one.type, id: one.id, overwrite: options.overwrite, ...(one.destinationId ? { destinationId: one.destinationId } : {}) });
  const retries = (first.successResults || []).map(keep);
  const skipped = [];
  for (const error of first.errors || []) {
    const refs = error.error?.references || [];
    const mapped = error.error?.type === "missing_references" && refs.every((r) => r.type === "index-pattern" && selects.get(r.id)?.value);
    if (!mapped) {
      skipped.push(error.error?.type === "missing_references" ? { ...error, unmapped: true } : error);
      continue;
    }
    retries.push({ ...keep(error), replaceReferences: refs.map((r) => ({ type: "index-pattern", from: r.id, to: selects.get(r.id).value })) });
  }
  const second = retries.length ? await resolveImportErrors(file, retries, options) : { successCount: 0, errors: [] };
  showResult(step, second, [...skipped, ...(second.errors || [])]);
}

// OpenSearch Dashboards' "Index pattern conflicts" step: a new pattern for each missing one.
async function remapStep(step, status, file, options, first, missing, reload) {
  const patterns = await listPatterns();
  const selects = new Map();
  const rows = [...missing].map(([id, errors]) => {
    const select = h("select", { "data-pattern": id, "aria-label": `New index pattern for ${id}` },
      h("option", { value: "" }, "Skip these objects"),
      patterns.map((p, n) => h("option", { value: p.id, selected: n === 0 }, p.title)));
    selects.set(id, select);
    return h("tr", { "data-pattern": id },
      h("td", {}, h("code", {}, id)), h("td", { class: "num" }, String(errors.length)),
      h("td", {}, errors.slice(0, 3).map((e) => e.meta?.title || e.title || e.id).join(", ")),
      h("td", {}, select));
  });
  const confirmButton = h("button", { type: "button", id: "confirm-remap" }, "Confirm all changes");
  page(step,
    notice(`Nothing is imported yet: ${missing.size} index pattern${missing.size > 1 ? "s do" : " does"} not exist here. Pick an existing one for each (or skip the objects that use it), then confirm.`, "info"),
    patterns.length ? null : notice("No index pattern exists yet: create one in Saved objects → Index patterns (e.g. cwl-*), then import again."),
    h("table", { class: "list remap" },
      h("thead", {}, h("tr", {}, h("th", {}, "Missing index pattern"), h("th", { class: "num" }, "Objects"), h("th", {}, "Sample of affected objects"), h("th", {}, "New index pattern"))),
      h("tbody", {}, rows)),
    h("div", { class: "buttons" }, confirmButton));
  confirmButton.addEventListener("click", () => attempt(status, async () => {
    confirmButton.disabled = true;
    try {
      await retry(step, file, options, first, selects);
    } finally {
      confirmButton.disabled = false;
      await reload();
    }
  }));
}

function showResult(step, answer, errors) {
  const count = answer.successCount || 0;
  const dashboards = (answer.successResults || []).filter((one) => one.type === "dashboard");
  page(step,
    notice(`Imported ${count} object${count === 1 ? "" : "s"}.`, errors.length ? "info" : "success"),
    dashboards.length ? h("p", { id: "imported-dashboards" }, "Open: ", dashboards.map((one, n) => [n ? ", " : "",
      h("a", { href: `#dashboards/view/${encodeURIComponent(one.destinationId || one.id)}` }, one.meta?.title || one.id)])) : null,
    errors.length ? h("div", { class: "import-result" }, h("h4", {}, `${errors.length} not imported`),
      h("ul", { id: "import-errors" }, errors.map((error) => h("li", { "data-type": error.type, "data-id": error.id },
        h("strong", {}, error.meta?.title || error.title || error.id), ` (${TYPE_NAMES[error.type] || error.type} ${error.id}): `, reasonOf(error))))) : null);
}
