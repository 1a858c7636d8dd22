// Index patterns: saved objects naming indices (`cwl-*`) and their time field. Their fields
// are asked of the indices each time (_field_caps), so a new field shows without a refresh.

import { call, sharedRead } from "../lib.js";
import { createObject, findObjects, getObject, updateObject } from "../savedobjects.js";

// Every index pattern as {id, title, timeFieldName}, by title.
export async function listPatterns() {
  const found = await findObjects("index-pattern", { perPage: 1000 });
  return found.saved_objects
    .map((o) => ({ id: o.id, title: o.attributes.title, timeFieldName: o.attributes.timeFieldName || null }))
    .sort((a, b) => a.title.localeCompare(b.title));
}

// The pattern with its fields [{name, type, searchable, aggregatable}], sorted by name.
export async function loadPattern(id) {
  const object = await getObject("index-pattern", id);
  const pattern = { id: object.id, title: object.attributes.title, timeFieldName: object.attributes.timeFieldName || null };
  pattern.fields = await fieldsOf(pattern.title);
  return pattern;
}

export async function fieldsOf(title) {
  const path = `/${encodeURIComponent(title)}/_field_caps?fields=*&ignore_unavailable=true&allow_no_indices=true`;
  const caps = await sharedRead(path, () => call("GET", path));
  const fields = [];
  for (const [name, byType] of Object.entries(caps.fields || {})) {
    if (name.startsWith("_")) continue;
    const types = Object.keys(byType);
    const caps0 = byType[types[0]];
    fields.push({ name, type: types.length > 1 ? "conflict" : types[0], searchable: caps0.searchable, aggregatable: caps0.aggregatable });
  }
  return fields.sort((a, b) => a.name.localeCompare(b.name));
}

// The `config` object's id: the version OpenSearch Dashboards reports (/api/status), as
// OpenSearch Dashboards keys its advanced settings.
let version = null;
export async function configId() {
  version ??= call("GET", "/_dashboards/api/status").then((status) => status.version.number);
  return version;
}

// The `defaultIndex` advanced setting, or null.
export async function storedDefaultId() {
  try {
    return (await getObject("config", await configId())).attributes?.defaultIndex || null;
  } catch {
    return null;  // no config object yet
  }
}

// The default pattern's id (the `config` object's defaultIndex), else the first one's.
export async function defaultPatternId() {
  const id = await storedDefaultId();
  if (id) return id;
  return (await listPatterns())[0]?.id ?? null;
}

// Sets (or, with null, clears) `defaultIndex` on the config object, creating it if needed.
export async function setDefaultPattern(id) {
  const configid = await configId();
  try {
    await updateObject("config", configid, { defaultIndex: id });
  } catch (error) {
    if (error.status !== 404) throw error;
    await createObject("config", { buildNum: 0, defaultIndex: id }, { id: configid });
  }
}

// The indices, aliases and data streams a title (with wildcards) names: _resolve/index, as
// OpenSearch Dashboards' create page asks it while the title is typed.
export async function resolveTitle(title) {
  const names = title.split(",").map((part) => part.trim()).filter(Boolean).map(encodeURIComponent).join(",");
  if (!names) return [];
  const resolved = await call("GET", `/_resolve/index/${names}?expand_wildcards=open&ignore_unavailable=true`);
  return [
    ...(resolved.indices || []).map((i) => ({ name: i.name, kind: "index" })),
    ...(resolved.aliases || []).map((a) => ({ name: a.name, kind: "alias" })),
    ...(resolved.data_streams || []).map((d) => ({ name: d.name, kind: "data stream" })),
  ].sort((a, b) => a.name.localeCompare(b.name));
}
