// A Discover search as a `search` saved object, stored as OpenSearch Dashboards stores it:
// title, columns, sort and kibanaSavedObjectMeta.searchSourceJSON (query, filters) whose
// index pattern ids are moved into `references` (indexRefName), so an export carries them.

import { createObject, getObject, parseAttribute, referenceId, updateObject } from "../savedobjects.js";

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";

// The saved object's {attributes, references} of a search.
export function toSavedObject({ title, patternId, query, filters, columns, sort }) {
  const references = [{ name: INDEX_REF, type: "index-pattern", id: patternId }];
  const filter = filters.map((pill, i) => {
    const copy = structuredClone(pill);
    if (copy.meta?.index) {
      const name = `kibanaSavedObjectMeta.searchSourceJSON.filter[${i}].meta.index`;
      references.push({ name, type: "index-pattern", id: copy.meta.index });
      copy.meta.indexRefName = name;
      delete copy.meta.index;
    }
    return copy;
  });
  const source = { query, filter, indexRefName: INDEX_REF, highlightAll: true, version: true };
  return {
    attributes: {
      title, description: "", hits: 0, columns: columns.length ? columns : ["_source"], sort, version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify(source) },
    },
    references,
  };
}

// A saved search as {id, title, patternId, query, filters, columns, sort}.
export function fromSavedObject(object) {
  const source = parseAttribute(object.attributes?.kibanaSavedObjectMeta?.searchSourceJSON);
  const filters = (source.filter || []).map((pill) => {
    const copy = structuredClone(pill);
    if (copy.meta?.indexRefName) {
      copy.meta.index = referenceId(object, copy.meta.indexRefName) ?? undefined;
      delete copy.meta.indexRefName;
    }
    return copy;
  });
  const query = source.query && typeof source.query === "object" ? source.query : { language: "lucene", query: "" };
  // KQL ("kuery") searches from Dashboards run as Lucene: the common forms mean the same
  const language = query.language === "dsl" ? "dsl" : "lucene";
  const text = typeof query.query === "string" ? query.query : JSON.stringify(query.query ?? "");
  const columns = (object.attributes?.columns || []).filter((c) => c !== "_source");
  return {
    id: object.id,
    title: object.attributes?.title || object.id,
    patternId: referenceId(object, source.indexRefName || INDEX_REF) ?? source.index ?? null,
    query: { language, query: text },
    filters,
    columns,
    sort: Array.isArray(object.attributes?.sort) ? object.attributes.sort.filter((s) => Array.isArray(s)) : [],
  };
}

export async function loadSearch(id) {
  return fromSavedObject(await getObject("search", id));
}

// Saves a new search (no id) or replaces one; answers the saved object.
export function saveSearch(search, id = null) {
  const { attributes, references } = toSavedObject(search);
  if (id) return updateObject("search", id, attributes, { references });
  return createObject("search", attributes, { references });
}
