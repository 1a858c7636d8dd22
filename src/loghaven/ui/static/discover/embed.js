// A saved search as a dashboard panel: its columns and sort over the dashboard's search
// state (context = {state: {query, filters, time}}) with the search's own query and
// filters ANDed in; the first 50 rows, newest first unless the search sorts otherwise.

import { call, h } from "../lib.js";
import { loadPattern } from "../search/patterns.js";
import { notice } from "../widgets.js";
import { searchBody, searchQuery } from "./request.js";
import { fromSavedObject } from "./saved.js";
import { docTable } from "./table.js";

// Render into `container`; answers {update(context), destroy()}.
export async function renderSavedSearch(container, savedObject, context) {
  const search = fromSavedObject(savedObject);
  const box = h("div", { class: "saved-search", "data-search": search.id });
  container.replaceChildren(box);
  let pattern = null;
  let sequence = 0;
  let destroyed = false;

  async function draw(state) {
    const mine = ++sequence;
    try {
      if (!search.patternId) throw new Error(`The saved search "${search.title}" names no index pattern: open it in Discover and save it again.`);
      pattern ??= await loadPattern(search.patternId);
      const timeField = pattern.timeFieldName;
      const sort = search.sort.length ? search.sort : timeField ? [[timeField, "desc"]] : [];
      const combined = { ...state, filters: [...(state.filters || []), ...search.filters] };
      const query = searchQuery(combined, timeField, search.query);
      const answer = await call("POST", `/${encodeURIComponent(pattern.title)}/_search`, searchBody({ query, sort }));
      if (destroyed || mine !== sequence) return;
      const total = answer.hits.total?.value ?? 0;
      const hits = answer.hits.hits;
      box.replaceChildren(
        h("p", { class: "saved-search-count", "data-total": String(total) }, `${hits.length} of ${total.toLocaleString("en")} documents`),
        hits.length ? h("div", { class: "doc-table-wrap" }, docTable(hits, {
          timeField, columns: search.columns, sort, fields: new Map(pattern.fields.map((f) => [f.name, f])),
        })) : h("p", { class: "muted" }, "No documents match in this time range."));
    } catch (error) {
      if (destroyed || mine !== sequence) return;
      box.replaceChildren(notice(`${search.title}: ${error.message || error}`));
    }
  }

  await draw(context?.state || {});
  return {
    update(next) { return draw(next?.state || {}); },
    destroy() { destroyed = true; box.remove(); },
  };
}
