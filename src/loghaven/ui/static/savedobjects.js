// The saved objects API (/_dashboards/api/saved_objects) as OpenSearch Dashboards has it:
// index patterns, searches, visualizations and dashboards with their `references`.

import { ApiError, api, call, sharedRead, toLogin } from "./lib.js";

const BASE = "/_dashboards/api/saved_objects";
const XSRF = { "osd-xsrf": "true" };

export function findObjects(type, { search = "", perPage = 100, page = 1, searchFields = [], operator = "" } = {}) {
  const params = new URLSearchParams({ per_page: String(perPage), page: String(page) });
  for (const one of [].concat(type)) params.append("type", one);
  if (search) params.set("search", search);
  for (const one of searchFields) params.append("search_fields", one);
  if (operator) params.set("default_search_operator", operator);
  return call("GET", `${BASE}/_find?${params}`);
}

export function getObject(type, id) {
  const path = `${BASE}/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
  return sharedRead(path, () => call("GET", path));
}

export function createObject(type, attributes, { id, references = [], overwrite = false } = {}) {
  const path = id ? `${BASE}/${encodeURIComponent(type)}/${encodeURIComponent(id)}` : `${BASE}/${encodeURIComponent(type)}`;
  return call("POST", `${path}${overwrite ? "?overwrite=true" : ""}`, { attributes, references }, XSRF);
}

export function updateObject(type, id, attributes, { references, version } = {}) {
  const body = { attributes };
  if (references) body.references = references;
  if (version) body.version = version;
  return call("PUT", `${BASE}/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, body, XSRF);
}

export function deleteObject(type, id) {
  return call("DELETE", `${BASE}/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, undefined, XSRF);
}

// The id of the reference named `name` (e.g. "kibanaSavedObjectMeta.searchSourceJSON.index").
export function referenceId(object, name) {
  return (object.references || []).find((ref) => ref.name === name)?.id ?? null;
}

// A JSON-string attribute (visState, panelsJSON, searchSourceJSON) parsed, or `fallback`.
export function parseAttribute(text, fallback = {}) {
  if (!text) return fallback;
  try { return JSON.parse(text); } catch { return fallback; }
}

// POST a multipart form (the file picked by the user, plus `retries`) as OpenSearch
// Dashboards' `_import` and `_resolve_import_errors` take it; the answer's JSON.
async function upload(path, form) {
  const response = await fetch(path, { method: "POST", body: form, headers: XSRF });
  if (response.status === 401) toLogin();
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  if (response.status >= 400) throw new ApiError(response.status, body);
  return body;
}

function importQuery({ overwrite = false, createNewCopies = false } = {}) {
  if (createNewCopies) return "?createNewCopies=true";
  return overwrite ? "?overwrite=true" : "";
}

// Import an NDJSON export (or Kibana 6's export.json): {success, successCount, errors}.
export function importObjects(file, mode = {}) {
  const form = new FormData();
  form.append("file", file);
  return upload(`${BASE}/_import${importQuery(mode)}`, form);
}

// Import again the objects named in `retries` ({type, id, overwrite, replaceReferences}).
export function resolveImportErrors(file, retries, mode = {}) {
  const form = new FormData();
  form.append("file", file);
  form.append("retries", JSON.stringify(retries));
  return upload(`${BASE}/_resolve_import_errors${mode.createNewCopies ? "?createNewCopies=true" : ""}`, form);
}

// The NDJSON text of an export: `{objects: [{type, id}]}` or `{type: [...]}`.
export async function exportObjects(body) {
  const result = await api("POST", `${BASE}/_export`, JSON.stringify(body), XSRF);
  if (result.status >= 400) {
    let parsed = result.text;
    try { parsed = JSON.parse(result.text); } catch { /* text as is */ }
    throw new ApiError(result.status, parsed);
  }
  return result.text;
}
