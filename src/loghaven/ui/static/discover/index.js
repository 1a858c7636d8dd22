// Discover: search one index pattern over a time range, see hits over time and documents.
// The whole search (pattern, query, filters, time, refresh, columns, sort, interval, page)
// is in the URL — `#discover[/<saved search id>]?_g={time, refresh}&_a={index, query,
// filters, columns, sort, interval, page}` — so a reload or a shared link shows the same.

import { call, h } from "../lib.js";
import { findObjects } from "../savedobjects.js";
import { SearchBar } from "../search/bar.js";
import { existsFilter, phraseFilter, timeBounds } from "../search/query.js";
import { defaultPatternId, listPatterns, loadPattern } from "../search/patterns.js";
import { readParams, writeParams } from "../search/url.js";
import { notice } from "../widgets.js";
import { Histogram } from "./histogram.js";
import { MAX_RESULT_WINDOW, PAGE_SIZE, histogramInterval, searchBody, searchQuery } from "./request.js";
import { loadSearch, saveSearch } from "./saved.js";
import { Sidebar, sampleTop } from "./sidebar.js";
import { docTable } from "./table.js";

const DEFAULT_TIME = { from: "now-15m", to: "now" };
let current = null;   // the Discover shown now (destroyed when the route changes)
let lastHash = null;  // where the Discover link brings the user back to

export async function showDiscover(args, params) {
  if (!args.length && !Object.keys(params).length && lastHash && lastHash !== location.hash) {
    history.replaceState(null, "", lastHash);  // the nav link: back to the last search
    const [path, search = ""] = lastHash.slice(1).split("?");
    args = path.split("/").slice(1).map(decodeURIComponent);
    params = readParams(search);
  }
  current?.destroy();
  const root = document.getElementById("discover");
  const view = new Discover(root);
  current = view;
  try {
    await view.open(args[0] || null, params);
  } catch (error) {
    if (current === view) root.replaceChildren(h("h2", {}, "Discover"), notice(error.message || String(error)));
  }
}

class Discover {
  constructor(root) {
    this.root = root;
    this.sequence = 0;
    this.response = null;
    // Leaving Discover stops it: no auto-refresh, and no late search writing its state into
    // another view's URL.
    this.leave = () => { if (!location.hash.startsWith("#discover")) this.destroy(); };
    window.addEventListener("hashchange", this.leave);
  }

  async open(savedId, params) {
    this.root.replaceChildren(h("h2", {}, "Discover"), h("p", { class: "muted" }, "Loading…"));
    const patterns = await listPatterns();
    if (!patterns.length) {
      this.root.replaceChildren(h("h2", {}, "Discover"), h("p", { class: "notice info discover-empty", role: "status" },
        "No index pattern yet: Discover searches the indices an index pattern names. ",
        h("a", { href: "#management/patterns" }, "Create an index pattern"), " in Saved objects → Index patterns, then come back."));
      return;
    }
    const saved = savedId ? await loadSearch(savedId) : null;
    const app = params._a || {};
    const global = params._g || {};
    this.saved = saved;
    this.patterns = patterns;
    const patternId = app.index || saved?.patternId || await defaultPatternId();
    this.pattern = await loadPattern(patternId).catch((error) => {
      throw new Error(`The index pattern "${patternId}" cannot be loaded (${error.message}): pick another one or create it in Saved objects → Index patterns.`);
    });
    const timeField = this.pattern.timeFieldName;
    this.app = {
      columns: app.columns || saved?.columns || [],
      sort: app.sort || (saved?.sort?.length ? saved.sort : timeField ? [[timeField, "desc"]] : []),
      interval: app.interval || "auto",
      page: Number.isInteger(app.page) ? app.page : 0,
    };
    this.maxWindow = await this.resultWindow();
    this.bar = new SearchBar({
      label: "Search documents",
      fields: this.pattern.fields,
      index: this.pattern.id,
      state: {
        query: app.query || saved?.query || { language: "lucene", query: "" },
        filters: app.filters || saved?.filters || [],
        time: global.time || DEFAULT_TIME,
        refresh: global.refresh || { pause: true, value: 0 },
      },
      onChange: () => { this.app.page = 0; this.run(); },
    });
    this.build();
    await this.run();
  }

  // index.max_result_window of the pattern's indices (the smallest), else ES's default.
  async resultWindow() {
    try {
      const settings = await call("GET", `/${encodeURIComponent(this.pattern.title)}/_settings?include_defaults=true&ignore_unavailable=true&allow_no_indices=true`);
      const windows = Object.values(settings || {}).map((s) => Number(s.settings?.index?.max_result_window ?? s.defaults?.index?.max_result_window ?? MAX_RESULT_WINDOW));
      return windows.length ? Math.min(...windows) : MAX_RESULT_WINDOW;
    } catch { return MAX_RESULT_WINDOW; }
  }

  build() {
    const timeField = this.pattern.timeFieldName;
    const picker = h("select", { class: "pattern-picker", "aria-label": "Index pattern", onchange: () => {
      this.navigate(null, { ...this.stateParams(), _a: { index: picker.value, query: this.bar.getState().query, filters: this.bar.getState().filters } });
    } }, this.patterns.map((p) => h("option", { value: p.id, selected: p.id === this.pattern.id }, p.title)));
    this.openPicker = h("select", { class: "open-search", "aria-label": "Open a saved search", onchange: () => {
      // the time range is global (OSD's _g): it stays; the rest comes from the saved search
      if (this.openPicker.value) this.navigate(this.openPicker.value, { _g: this.stateParams()._g });
    } }, h("option", { value: "" }, "Open…"));
    this.fillOpenPicker();
    this.saveForm = this.buildSaveForm();
    this.status = h("div", { class: "discover-status", "aria-live": "polite" });
    this.histogram = timeField ? new Histogram({
      onZoom: (from, to) => { this.bar.setState({ ...this.bar.getState(), time: { from, to } }); this.app.page = 0; this.run(); },
      onInterval: (choice) => { this.app.interval = choice; this.run(); },
    }) : null;
    this.sidebar = new Sidebar({
      onFilter: (field, value, negate) => this.filter(field, value, negate),
      onToggleColumn: (field) => this.toggleColumn(field),
      topValues: (field) => this.topValues(field),
    });
    this.tableBox = h("div", { class: "doc-table-wrap" });
    this.pager = h("nav", { class: "pager", "aria-label": "Pages of hits" });
    this.root.replaceChildren(
      h("div", { class: "discover-top" },
        h("h2", {}, "Discover", h("span", { class: "search-title" }, this.saved ? `: ${this.saved.title}` : "")),
        h("label", { class: "pattern-label" }, h("span", { class: "muted" }, "Index pattern "), picker),
        h("div", { class: "discover-actions" },
          h("button", { type: "button", class: "secondary small new-search", onclick: () => this.reset() }, "New"),
          this.openPicker,
          h("button", { type: "button", class: "small save-search", "aria-expanded": "false", onclick: (event) => {
            this.saveForm.hidden = !this.saveForm.hidden;
            event.target.setAttribute("aria-expanded", String(!this.saveForm.hidden));
            if (!this.saveForm.hidden) this.saveForm.querySelector("input").focus();
          } }, "Save"))),
      this.saveForm,
      this.bar.element,
      h("div", { class: "discover-body" }, this.sidebar.element,
        h("div", { class: "discover-main" }, this.status, this.histogram?.element, !timeField ? h("p", { class: "muted" },
          `The index pattern "${this.pattern.title}" has no time field: no histogram and no time filter.`) : null, this.tableBox, this.pager)));
  }

  async fillOpenPicker() {
    try {
      const found = await findObjects("search", { perPage: 100 });
      for (const o of found.saved_objects.sort((a, b) => a.attributes.title.localeCompare(b.attributes.title))) {
        this.openPicker.append(h("option", { value: o.id, selected: o.id === this.saved?.id }, o.attributes.title));
      }
    } catch { /* the list is a convenience: #discover/<id> still opens a search */ }
  }

  buildSaveForm() {
    const title = h("input", { type: "text", name: "title", required: true, value: this.saved?.title || "", "aria-label": "Title of the saved search" });
    const asNew = h("input", { type: "checkbox", name: "asNew" });
    const result = h("span", { class: "save-result", "aria-live": "polite" });
    return h("form", { class: "save-form", hidden: true, onsubmit: async (event) => {
      event.preventDefault();
      result.replaceChildren();
      try {
        const state = this.bar.getState();
        const id = this.saved && !asNew.checked ? this.saved.id : null;
        const object = await saveSearch({ title: title.value.trim(), patternId: this.pattern.id, query: state.query, filters: state.filters,
          columns: this.app.columns, sort: this.app.sort }, id);
        this.navigate(object.id, this.stateParams());
      } catch (error) {
        result.replaceChildren(notice(error.message || String(error)));
      }
    } },
    h("label", {}, "Title ", title),
    this.saved ? h("label", { class: "inline" }, asNew, " Save as a new search") : null,
    h("button", { type: "submit", class: "small" }, "Save search"), result);
  }

  // The URL's parameters of the current state.
  stateParams() {
    const state = this.bar.getState();
    return {
      _g: { time: state.time, refresh: state.refresh },
      _a: { index: this.pattern.id, query: state.query, filters: state.filters, columns: this.app.columns, sort: this.app.sort,
        interval: this.app.interval, page: this.app.page },
    };
  }

  navigate(savedId, params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) search.set(name, JSON.stringify(value));
    location.hash = `#discover${savedId ? `/${encodeURIComponent(savedId)}` : ""}?${search}`;
  }

  // "New": a fresh search on the same pattern and time range.
  reset() {
    const state = this.bar.getState();
    this.navigate(null, { _g: { time: state.time, refresh: state.refresh }, _a: { index: this.pattern.id } });
  }

  async run() {
    const sequence = ++this.sequence;
    if (!location.hash.startsWith("#discover")) return;
    const params = this.stateParams();
    writeParams(params);
    lastHash = location.hash;
    const state = this.bar.getState();
    const timeField = this.pattern.timeFieldName;
    const now = Date.now();
    const bounds = timeBounds(state.time, now);
    this.status.replaceChildren(h("span", { class: "muted" }, "Searching…"));
    let response;
    let interval = null;
    try {
      if (timeField && (bounds.min === null || bounds.max === null)) throw new Error("The time range is not a date: use date math (now-15m) or an ISO date (2026-12-05T10:00:00Z).");
      this.query = searchQuery(state, timeField, null, now);
      if ((this.app.page + 1) * PAGE_SIZE > this.maxWindow) this.app.page = Math.max(0, Math.floor(this.maxWindow / PAGE_SIZE) - 1);
      interval = timeField ? histogramInterval(this.app.interval, bounds) : null;
      response = await call("POST", `/${encodeURIComponent(this.pattern.title)}/_search`, searchBody({
        query: this.query, sort: this.app.sort, page: this.app.page, timeField, bounds, interval,
      }));
    } catch (error) {
      if (sequence !== this.sequence) return;
      this.response = null;
      this.status.replaceChildren(notice(`The search failed: ${error.message || error}. Check the query syntax (Lucene, or DSL as JSON) and the time range.`));
      this.tableBox.replaceChildren();
      this.pager.replaceChildren();
      return;
    }
    if (sequence !== this.sequence) return;  // a newer search is on its way, or Discover was left
    this.response = response;
    this.status.replaceChildren();
    const total = response.hits.total?.value ?? response.hits.total ?? 0;
    if (this.histogram) {
      await this.histogram.render({ buckets: response.aggregations?.histogram?.buckets || [], interval, choice: this.app.interval, bounds, total });
    } else {
      this.status.replaceChildren(h("p", {}, h("strong", { class: "hit-count" }, total.toLocaleString("en")), " hits"));
    }
    this.renderResults();
  }

  renderResults() {
    const response = this.response;
    if (!response) return;
    const hits = response.hits.hits;
    const total = response.hits.total?.value ?? 0;
    const fields = new Map(this.pattern.fields.map((f) => [f.name, f]));
    this.sidebar.render(this.pattern.fields, this.app.columns);
    this.tableBox.replaceChildren(hits.length ? docTable(hits, {
      timeField: this.pattern.timeFieldName, columns: this.app.columns, sort: this.app.sort, fields,
      actions: {
        onSort: (sort) => { this.app.sort = sort; this.app.page = 0; this.run(); },
        onFilter: (field, value, negate) => this.filter(field, value, negate),
        onExists: (field) => this.bar.addFilter(existsFilter(field, { index: this.pattern.id })),
        onToggleColumn: (field) => this.toggleColumn(field),
        onMoveColumn: (field, step) => this.moveColumn(field, step),
      },
    }) : h("p", { class: "notice info no-results", role: "status" }, "No documents match this search: widen the time range, or remove a filter or a part of the query."));
    this.renderPager(total, hits.length);
  }

  renderPager(total, shown) {
    const reachable = Math.min(total, this.maxWindow);
    const pages = Math.max(1, Math.ceil(reachable / PAGE_SIZE));
    const first = this.app.page * PAGE_SIZE;
    const go = (page) => { this.app.page = page; this.run(); };
    const last = this.app.page >= pages - 1;
    this.pager.replaceChildren(
      h("button", { type: "button", class: "secondary small pager-prev", disabled: this.app.page === 0, onclick: () => go(this.app.page - 1) }, "← Previous"),
      h("span", { class: "pager-info" }, shown ? `${(first + 1).toLocaleString("en")}–${(first + shown).toLocaleString("en")} of ${total.toLocaleString("en")} · page ${this.app.page + 1} of ${pages}` : ""),
      h("button", { type: "button", class: "secondary small pager-next", disabled: last, onclick: () => go(this.app.page + 1) }, "Next →"),
      last && total > this.maxWindow ? h("p", { class: "notice info window-limit", role: "status" },
        `These are the first ${this.maxWindow.toLocaleString("en")} of ${total.toLocaleString("en")} hits (index.max_result_window): narrow the search — a shorter time range, a filter or a more precise query — to see the others.`) : null);
  }

  filter(field, value, negate) {
    const one = Array.isArray(value) ? value[0] : value;
    this.bar.addFilter(phraseFilter(field, one, { negate, index: this.pattern.id }));
  }

  toggleColumn(field) {
    const columns = this.app.columns;
    this.app.columns = columns.includes(field) ? columns.filter((c) => c !== field) : [...columns, field];
    writeParams(this.stateParams());
    lastHash = location.hash;
    this.renderResults();
  }

  moveColumn(field, step) {
    const columns = [...this.app.columns];
    const i = columns.indexOf(field);
    const j = i + step;
    if (i < 0 || j < 0 || j >= columns.length) return;
    [columns[i], columns[j]] = [columns[j], columns[i]];
    this.app.columns = columns;
    writeParams(this.stateParams());
    lastHash = location.hash;
    this.renderResults();
  }

  // The top 5 values of a field: a terms aggregation over every match when it can, else
  // the loaded page's hits.
  async topValues(field) {
    if (field.aggregatable && this.query) {
      const answer = await call("POST", `/${encodeURIComponent(this.pattern.title)}/_search`, {
        size: 0, track_total_hits: true, query: this.query, aggs: { top: { terms: { field: field.name, size: 5 } } },
      });
      return { source: "aggregation", of: answer.hits.total?.value ?? 0,
        values: answer.aggregations.top.buckets.map((b) => ({ value: b.key_as_string ?? b.key, count: b.doc_count })) };
    }
    const hits = this.response?.hits.hits || [];
    return { source: "sample", of: hits.length, values: sampleTop(hits, field.name) };
  }

  destroy() {
    window.removeEventListener("hashchange", this.leave);
    this.sequence += 1;
    this.histogram?.destroy();
    this.bar?.destroy();
  }
}
