// The search bar shared by Discover, Visualize and Dashboards: the query (Lucene or DSL)
// with its history, filter pills, and the time range with auto-refresh. It owns no search:
// it calls `onChange(state)` when the user submits, a pill or the time changes, or the
// auto-refresh period passes (while the page is visible).
//
// state = {query: {language: "lucene"|"dsl", query}, filters: [OSD filter], time: {from, to},
//          refresh: {pause: bool, value: ms}}
//
// new SearchBar({state, onChange, label, fields, index}); `fields` [{name, type}] (a
// pattern's, from search/patterns.js) feed "Add filter"; setFields(fields, index) later.

import { h } from "../lib.js";
import { FilterPills } from "./filters.js";
import { readHistory, remember } from "./history.js";
import { TimePicker } from "./timepicker.js";

export const DEFAULT_STATE = Object.freeze({
  query: { language: "lucene", query: "" },
  filters: [],
  time: { from: "now-15m", to: "now" },
  refresh: { pause: true, value: 0 },
});

const PLACEHOLDERS = {
  lucene: "Search (Lucene), e.g. action:BLOCK AND status:>=400",
  dsl: "{\"match\": {\"action\": \"BLOCK\"}}  (Ctrl+Enter to search)",
};

let bars = 0;

function complete(state) {
  const base = structuredClone(DEFAULT_STATE);
  const given = structuredClone(state || {});
  return {
    query: { ...base.query, ...given.query },
    filters: Array.isArray(given.filters) ? given.filters : [],
    time: { ...base.time, ...given.time },
    refresh: { ...base.refresh, ...given.refresh },
  };
}

export class SearchBar {
  constructor({ state = DEFAULT_STATE, onChange = () => {}, label = "Search", fields = [], index } = {}) {
    const id = ++bars;
    this.onChange = onChange;
    this.state = complete(state);
    this.timer = null;
    this.historyIndex = -1;
    this.language = h("select", { class: "query-language", "aria-label": "Query language", onchange: () => this.switchLanguage(this.language.value) },
      h("option", { value: "lucene" }, "Lucene"), h("option", { value: "dsl" }, "DSL"));
    this.historyList = h("ul", { id: `query-history-${id}`, class: "query-history popover", role: "listbox", "aria-label": "Recent queries", hidden: true });
    this.lucene = h("input", { type: "search", class: "query-input", "aria-label": label, autocomplete: "off", spellcheck: "false",
      role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": this.historyList.id,
      placeholder: PLACEHOLDERS.lucene, onkeydown: (event) => this.queryKeys(event), oninput: () => this.showHistory(false),
      onblur: () => this.closeHistory() });
    this.dsl = h("textarea", { class: "query-input query-dsl", "aria-label": `${label} (DSL, JSON)`, rows: "4", spellcheck: "false",
      placeholder: PLACEHOLDERS.dsl, onkeydown: (event) => this.queryKeys(event), onblur: () => this.closeHistory() });
    this.historyButton = h("button", { type: "button", class: "secondary history-button", "aria-label": "Recent queries", title: "Recent queries",
      "aria-haspopup": "listbox", "aria-controls": this.historyList.id, "aria-expanded": "false",
      onmousedown: (event) => event.preventDefault(),
      onclick: () => (this.historyList.hidden ? this.showHistory(true, true) : this.closeHistory()) }, "▾");
    this.queryBox = h("div", { class: "query-box" });
    this.error = h("p", { class: "error search-error", role: "alert", hidden: true });
    this.time = new TimePicker({
      time: this.state.time, refresh: this.state.refresh,
      onTime: (time) => { this.state.time = time; this.emit(); },
      onRefresh: (refresh) => { this.state.refresh = refresh; this.time.setRefresh(refresh); this.schedule(); this.emit(); },
    });
    this.pills = new FilterPills({ filters: this.state.filters, fields, index, change: (filters) => { this.state.filters = filters; this.emit(); } });
    const form = h("form", { class: "search-bar", role: "search", "aria-label": label, onsubmit: (event) => { event.preventDefault(); this.submit(); } },
      this.language, h("div", { class: "query-wrap" }, this.queryBox, this.historyButton, this.historyList),
      h("div", { class: "search-actions" }, this.time.element, h("button", { type: "submit", class: "update-button" }, "Update")));
    this.element = h("div", { class: "search-area" }, form, this.error, this.pills.element);
    this.visibility = () => this.schedule();
    document.addEventListener("visibilitychange", this.visibility);
    this.showState();
    this.schedule();
  }

  input() { return this.state.query.language === "dsl" ? this.dsl : this.lucene; }

  showState() {
    const { language, query } = this.state.query;
    this.language.value = language === "dsl" ? "dsl" : "lucene";
    this.queryBox.replaceChildren(this.input());
    this.input().value = typeof query === "string" ? query : JSON.stringify(query, null, 2);
    this.time.setTime(this.state.time);
    this.time.setRefresh(this.state.refresh);
    this.pills.setFilters(this.state.filters);
  }

  // Lucene text becomes a query_string clause in DSL; a query_string clause back its text.
  switchLanguage(language) {
    const text = this.input().value.trim();
    let query = "";
    if (language === "dsl" && text) query = JSON.stringify({ query_string: { query: text } }, null, 2);
    if (language === "lucene" && text) {
      try { query = JSON.parse(text)?.query_string?.query ?? ""; } catch { query = ""; }
    }
    this.closeHistory();
    this.state.query = { language, query };
    this.showState();
    this.input().focus();
  }

  submit() {
    const query = this.input().value;
    this.state.query = { language: this.state.query.language, query };
    remember(this.state.query.language, query);
    this.closeHistory();
    this.emit();
  }

  // Calls onChange; a DSL query the caller refuses (throws) is shown under the bar.
  emit() {
    this.error.hidden = true;
    try {
      const answer = this.onChange(this.getState());
      if (answer && typeof answer.catch === "function") answer.catch((error) => this.showError(error));
    } catch (error) {
      this.showError(error);
    }
  }

  showError(error) {
    this.error.textContent = error?.message || String(error);
    this.error.hidden = false;
  }

  // Enter searches (Ctrl+Enter in the DSL editor); the arrows walk the history.
  queryKeys(event) {
    const dsl = this.state.query.language === "dsl";
    const options = [...this.historyList.querySelectorAll("[role=option]")];
    if (event.key === "Escape" && !this.historyList.hidden) { event.preventDefault(); this.closeHistory(); return; }
    if (event.key === "ArrowDown" && (!dsl || !this.historyList.hidden || event.altKey)) {
      event.preventDefault();
      if (this.historyList.hidden) { this.showHistory(true); return; }
      this.highlight(Math.min(options.length - 1, this.historyIndex + 1));
      return;
    }
    if (event.key === "ArrowUp" && !this.historyList.hidden) {
      event.preventDefault();
      this.highlight(Math.max(-1, this.historyIndex - 1));
      return;
    }
    if (event.key === "Enter" && (!dsl || event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!this.historyList.hidden && this.historyIndex >= 0) this.input().value = options[this.historyIndex].dataset.query;
      this.submit();
    }
  }

  // The language's recent queries containing what is typed (all of them with `all`).
  showHistory(all, focusList = false) {
    const typed = all ? "" : this.input().value.trim().toLowerCase();
    const items = readHistory(this.state.query.language).filter((q) => !typed || (q.toLowerCase().includes(typed) && q.toLowerCase() !== typed));
    this.historyIndex = -1;
    const prefix = this.historyList.id;
    this.historyList.replaceChildren(...(items.length ? items.map((query, i) => h("li", { id: `${prefix}-${i}`, role: "option", "aria-selected": "false",
      "data-query": query, class: "history-item", onmousedown: (event) => event.preventDefault(),
      onclick: () => { this.input().value = query; this.submit(); } }, query))
      : [h("li", { class: "muted history-empty" }, all ? "No recent queries in this language yet." : "No recent query matches.")]));
    const open = items.length > 0 || all;
    this.historyList.hidden = !open;
    this.input().setAttribute("aria-expanded", String(open));
    this.historyButton.setAttribute("aria-expanded", String(open));
    if (open && focusList) { this.input().focus(); if (items.length) this.highlight(0); }
  }

  highlight(index) {
    const options = [...this.historyList.querySelectorAll("[role=option]")];
    this.historyIndex = index;
    options.forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === index));
      option.classList.toggle("active", i === index);
    });
    if (index >= 0) {
      this.input().setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else this.input().removeAttribute("aria-activedescendant");
  }

  closeHistory() {
    this.historyList.hidden = true;
    this.historyIndex = -1;
    this.input().setAttribute("aria-expanded", "false");
    this.input().removeAttribute("aria-activedescendant");
    this.historyButton.setAttribute("aria-expanded", "false");
  }

  // Auto-refresh: one timer while the interval is on, the bar in the page and the page seen.
  schedule() {
    clearInterval(this.timer);
    this.timer = null;
    const { pause, value } = this.state.refresh;
    if (pause || !(value > 0) || document.hidden || this.destroyed) return;
    this.timer = setInterval(() => {
      if (!this.element.isConnected || this.element.closest("[hidden]")) return;  // a view not shown
      this.emit();
    }, value);
  }

  getState() { return structuredClone(this.state); }

  setState(state) {
    this.state = complete(state);
    this.closeHistory();
    this.showState();
    this.schedule();
  }

  setFields(fields, index) { this.pills.setFields(fields, index); }

  // Add a pill (from "filter for/out" in Discover, a click on a chart), then search again.
  addFilter(filter) {
    this.state.filters.push(structuredClone(filter));
    this.pills.setFilters(this.state.filters);
    this.emit();
  }

  destroy() {
    this.destroyed = true;
    clearInterval(this.timer);
    this.timer = null;
    document.removeEventListener("visibilitychange", this.visibility);
    this.time.destroy();
    this.pills.destroy();
  }
}
