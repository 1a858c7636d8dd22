// Index patterns: saved objects naming indices (`cwl-*`) and their time field. Their fields
// are asked of the indices each time (_field_caps), so a new field shows without a refresh.

import { call } from "../lib.js";
import { findObjects, getObject } from "../savedobjects.js";

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
  const caps = await call("GET", `/${encodeURIComponent(title)}/_field_caps?fields=*&ignore_unavailable=true&allow_no_indices=true`);
  const fields = [];
  for (const [name, byType] of Object.entries(caps.fields || {})) {
    if (name.startsWith("_")) continue;
    const types = Object.keys(byType);
    const caps0 = byType[types[0]];
    fields.push({ name, type: types.length > 1 ? "conflict" : types[0], searchable: caps0.searchable, aggregatable: caps0.aggregatable });
  }
  return fields.sort((a, b) => a.name.localeCompare(b.name));
}

// The default pattern's id (the `config` object's defaultIndex), else the first one's.
export async function defaultPatternId() {
  try {
    const found = await findObjects("config", { perPage: 1 });
    const id = found.saved_objects[0]?.attributes?.defaultIndex;
    if (id) return id;
  } catch { /* no config yet */ }
  return (await listPatterns())[0]?.id ?? null;
}
