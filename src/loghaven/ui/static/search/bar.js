// The search bar shared by Discover, Visualize and Dashboards: the query (Lucene or DSL),
// filter pills, and the time range with auto-refresh. It owns no search: it calls
// `onChange(state)` when the user submits, refreshes, or changes a pill or the time.
//
// state = {query: {language: "lucene"|"dsl", query}, filters: [OSD filter], time: {from, to},
//          refresh: {pause: bool, value: ms}}
//
// CONTRACT (issue 18): a minimal working bar; the "searchbar" helper completes it (quick
// ranges, absolute and relative pickers, query history, auto-refresh, keyboard use).

import { h } from "../lib.js";

export const DEFAULT_STATE = Object.freeze({
  query: { language: "lucene", query: "" },
  filters: [],
  time: { from: "now-15m", to: "now" },
  refresh: { pause: true, value: 0 },
});

export class SearchBar {
  constructor({ state = DEFAULT_STATE, onChange = () => {}, label = "Search" } = {}) {
    this.onChange = onChange;
    this.state = structuredClone(state);
    this.input = h("input", { type: "search", class: "query-input", "aria-label": label, placeholder: "Lucene query, e.g. action:BLOCK", value: this.state.query.query });
    this.from = h("input", { type: "text", "aria-label": "From", value: this.state.time.from, size: 12 });
    this.to = h("input", { type: "text", "aria-label": "To", value: this.state.time.to, size: 12 });
    this.pills = h("div", { class: "filter-pills" });
    const form = h("form", { class: "search-bar", role: "search", onsubmit: (event) => { event.preventDefault(); this.submit(); } },
      this.input, this.from, this.to, h("button", { type: "submit" }, "Refresh"));
    this.element = h("div", { class: "search-area" }, form, this.pills);
    this.renderPills();
  }

  submit() {
    this.state.query = { ...this.state.query, query: this.input.value };
    this.state.time = { from: this.from.value, to: this.to.value };
    this.onChange(this.getState());
  }

  getState() { return structuredClone(this.state); }

  setState(state) {
    this.state = structuredClone({ ...DEFAULT_STATE, ...state });
    this.input.value = this.state.query.query;
    this.from.value = this.state.time.from;
    this.to.value = this.state.time.to;
    this.renderPills();
  }

  // Add a pill (from "filter for/out" in Discover, a click on a chart), then search again.
  addFilter(filter) {
    this.state.filters.push(filter);
    this.renderPills();
    this.onChange(this.getState());
  }

  renderPills() {
    this.pills.replaceChildren(...this.state.filters.map((filter, i) => h("span", { class: `pill${filter.meta.negate ? " negate" : ""}` },
      `${filter.meta.negate ? "NOT " : ""}${filter.meta.key}: ${filter.meta.value}`,
      h("button", { type: "button", "aria-label": `Remove filter ${filter.meta.key}`, onclick: () => {
        this.state.filters.splice(i, 1);
        this.renderPills();
        this.onChange(this.getState());
      } }, "×"))));
  }

  destroy() {}
}
