// The saved objects API (/_dashboards/api/saved_objects) as OpenSearch Dashboards has it:
// index patterns, searches, visualizations and dashboards with their `references`.

import { call } from "./lib.js";

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
  return call("GET", `${BASE}/${encodeURIComponent(type)}/${encodeURIComponent(id)}`);
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
