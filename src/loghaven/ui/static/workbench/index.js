// Query Workbench, as OpenSearch Dashboards' own: SQL or PPL typed in an editor (Ctrl/Cmd+
// Enter runs; the last query of each language stays in localStorage), the rows as a table
// paged with the plugin's cursor ("Load more"), a chart when the rows are a label and
// numbers, Explain's plan, downloads in the server's formats, and an index list that starts a
// query. A cursor is closed when another query runs, the editor is cleared or the user leaves.

import { $, h } from "../lib.js";
import { DOWNLOADS, LANGUAGES, QueryError, closeCursor, download, explainQuery, listIndices, nextPage, runQuery, starter } from "./query.js";
import { chartShape, drawChart, planView, resultTable } from "./results.js";

const KEY = "loghaven.workbench";
const EXAMPLES = {
  sql: "SHOW TABLES LIKE %",
  ppl: "source=<index> | stats count() by <field>",
};
const DEFAULT_FETCH_SIZE = 200;

let ui = null;  // built once, on the first visit

// #workbench
export async function showWorkbench() {
  if (!ui) ui = build($("#workbench"));
  await ui.refreshIndices();
}

const stored = (key, fallback) => localStorage.getItem(`${KEY}.${key}`) ?? fallback;
const store = (key, value) => localStorage.setItem(`${KEY}.${key}`, value);

function build(section) {
  let language = LANGUAGES[stored("language", "sql")] ? stored("language", "sql") : "sql";
  // What is shown: the query that made it, its schema, rows, open cursor.
  let current = null;
  let turn = 0;  // the latest action: an answer to an older one draws nothing

  const editor = h("textarea", { id: "workbench-query", class: "workbench-editor", spellcheck: "false", autocomplete: "off",
    autocapitalize: "off", rows: 8, "aria-describedby": "workbench-editor-hint" });
  editor.value = stored(language, EXAMPLES[language]);
  const switches = Object.entries(LANGUAGES).map(([name, { label }]) => h("label", { class: "workbench-language" },
    h("input", { type: "radio", name: "workbench-language", value: name, id: `workbench-language-${name}`, checked: name === language,
      onchange: () => switchLanguage(name) }), ` ${label}`));
  const fetchSize = h("input", { type: "number", id: "workbench-fetch-size", min: 0, max: 10000, step: 1,
    value: stored("fetchSize", String(DEFAULT_FETCH_SIZE)), onchange: () => store("fetchSize", fetchSize.value) });
  const fetchField = h("label", { class: "inline workbench-fetch", for: "workbench-fetch-size" }, "Rows per page ", fetchSize);
  const runButton = h("button", { type: "button", id: "workbench-run", onclick: () => run() }, "Run");
  const explainButton = h("button", { type: "button", class: "secondary", id: "workbench-explain", onclick: () => explain() }, "Explain");
  const clearButton = h("button", { type: "button", class: "secondary", id: "workbench-clear", onclick: () => clear() }, "Clear");
  const status = h("p", { id: "workbench-status", class: "muted", role: "status", "aria-live": "polite" });
  const error = h("div", { id: "workbench-error", hidden: true });
  const plan = h("section", { id: "workbench-plan", class: "workbench-plan", hidden: true, "aria-label": "Explain" });
  const chart = h("figure", { id: "workbench-chart", class: "chart-box workbench-chart", hidden: true });
  const tableBox = h("div", { class: "workbench-table-box" });
  const more = h("button", { type: "button", class: "secondary", id: "workbench-more", hidden: true, onclick: () => loadMore() }, "Load more");
  const downloads = h("div", { class: "row workbench-downloads", id: "workbench-downloads", hidden: true });
  const indexList = h("ul", { class: "workbench-index-list", id: "workbench-indices" });
  const indexNote = h("p", { class: "muted", id: "workbench-indices-note" });
  const results = h("section", { id: "workbench-results", class: "workbench-results", hidden: true, "aria-label": "Results" },
    h("div", { class: "toolbar" }, h("h3", {}, "Results"), downloads), chart, tableBox, more);

  section.replaceChildren(
    h("h2", {}, "Query Workbench"),
    h("p", { class: "hint" }, "Query the indices with SQL or PPL through ", h("code", {}, "_plugins/_sql"), " and ", h("code", {}, "_plugins/_ppl"),
      ", as OpenSearch's SQL plugin answers them."),
    h("div", { class: "workbench" },
      h("aside", { class: "workbench-sidebar", "aria-labelledby": "workbench-indices-title" },
        h("div", { class: "toolbar" }, h("h3", { id: "workbench-indices-title" }, "Indices"),
          h("button", { type: "button", class: "secondary small", id: "workbench-indices-refresh", onclick: () => refreshIndices() }, "Refresh")),
        h("p", { class: "hint" }, "Choose one to query it."), indexNote, indexList),
      h("div", { class: "workbench-main" },
        h("fieldset", { class: "workbench-languages" }, h("legend", { class: "visually-hidden" }, "Query language"), switches),
        h("label", { class: "visually-hidden", for: "workbench-query" }, "Query"),
        editor,
        h("p", { class: "hint workbench-editor-hint", id: "workbench-editor-hint" }, h("kbd", {}, "Ctrl+Enter"), " (", h("kbd", {}, "Cmd+Enter"), ") runs the query."),
        h("div", { class: "toolbar workbench-toolbar" }, runButton, explainButton, clearButton, fetchField),
        status, error, plan, results)));

  editor.addEventListener("input", () => store(language, editor.value));
  editor.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); run(); }
  });
  // Leaving the view or the page frees the cursor (and that of a query still running).
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith("#workbench")) return;
    if (status.textContent.endsWith("…")) status.textContent = "";
    ++turn;
    forget();
  });
  window.addEventListener("pagehide", () => { if (current?.cursor) closeCursor(current.cursor, true); });

  function switchLanguage(name) {
    store(language, editor.value);
    language = name;
    store("language", name);
    editor.value = stored(name, EXAMPLES[name]);
    fetchField.hidden = name !== "sql";  // PPL answers in one page
  }
  fetchField.hidden = language !== "sql";

  // Replaces the editor's text the way typing would (Ctrl+Z undoes it).
  function setQuery(text) {
    editor.focus();
    editor.select();
    if (!document.execCommand("insertText", false, text)) editor.value = text;
    store(language, editor.value);
  }

  function forget() {
    if (current?.cursor) closeCursor(current.cursor);
    if (current) current.cursor = null;
    more.hidden = true;
  }

  function showError(failure) {
    const problem = failure instanceof QueryError ? failure : new QueryError(0, String(failure.message || failure));
    error.hidden = false;
    error.replaceChildren(h("div", { class: "notice error workbench-error", role: "alert" },
      h("p", { class: "workbench-error-reason" }, h("strong", {}, problem.type || "Error"), ` (${problem.status || "no answer"}): ${problem.reason}`),
      problem.details ? h("pre", { class: "workbench-error-details" }, problem.details) : null,
      h("p", { class: "workbench-error-hint" }, problem.hint)));
  }

  function reset() {
    error.hidden = true;
    error.replaceChildren();
    plan.hidden = true;
    plan.replaceChildren();
  }

  function describe() {
    const shown = current.rows.length;
    const total = Number(current.total ?? shown);
    const pages = current.pages > 1 ? ` in ${current.pages} pages` : "";
    status.textContent = `${shown.toLocaleString("en")} of ${total.toLocaleString("en")} rows${pages} · ${Math.round(current.took)} ms`
      + (current.cursor ? " · more with Load more" : "");
  }

  async function run() {
    const query = editor.value.trim();
    forget();
    reset();
    if (!query) { status.textContent = "Type a query first."; return; }
    const mine = ++turn;
    const size = Math.max(0, Math.floor(Number(fetchSize.value) || 0));
    status.textContent = "Running…";
    runButton.disabled = true;
    const started = performance.now();
    try {
      const answer = await runQuery(language, query, size);
      if (mine !== turn) { if (answer.cursor) closeCursor(answer.cursor); return; }
      current = { language, query, schema: answer.schema || [], rows: answer.datarows || [], total: answer.total,
        cursor: answer.cursor || null, took: performance.now() - started, pages: 1 };
      const table = resultTable(current.schema);
      table.add(current.rows);
      current.table = table;
      tableBox.replaceChildren(table.element);
      more.hidden = !current.cursor;
      showDownloads();
      results.hidden = false;
      describe();
      await drawChart(chart, current.schema, current.rows);
    } catch (failure) {
      if (mine !== turn) return;
      current = null;
      results.hidden = true;
      status.textContent = "";
      showError(failure);
    } finally {
      runButton.disabled = false;
    }
  }

  async function loadMore() {
    if (!current?.cursor) return;
    const mine = ++turn;
    more.disabled = true;
    const started = performance.now();
    try {
      const answer = await nextPage(current.cursor);
      if (mine !== turn) return;
      const rows = answer.datarows || [];
      current.rows.push(...rows);
      current.table.add(rows);
      current.cursor = answer.cursor || null;
      current.took += performance.now() - started;
      current.pages += 1;
      more.hidden = !current.cursor;
      describe();
      if (chartShape(current.schema)) await drawChart(chart, current.schema, current.rows);
    } catch (failure) {
      if (mine !== turn) return;
      current.cursor = null;
      more.hidden = true;
      showError(failure);
    } finally {
      more.disabled = false;
    }
  }

  async function explain() {
    const query = editor.value.trim();
    reset();
    if (!query) { status.textContent = "Type a query first."; return; }
    const mine = ++turn;
    status.textContent = "Explaining…";
    try {
      const answer = await explainQuery(language, query);
      if (mine !== turn) return;
      plan.hidden = false;
      plan.replaceChildren(h("h3", {}, "Explain"), h("p", { class: "hint" }, "The plan the query becomes: each operator folds; the index scan shows the search request it sends."),
        ...planView(answer));
      status.textContent = "";
    } catch (failure) {
      if (mine !== turn) return;
      status.textContent = "";
      showError(failure);
    }
  }

  function clear() {
    ++turn;
    forget();
    reset();
    current = null;
    results.hidden = true;
    tableBox.replaceChildren();
    chart.hidden = true;
    status.textContent = "";
    editor.value = "";
    store(language, "");
    editor.focus();
  }

  function showDownloads() {
    const { query, language: lang } = current;
    downloads.hidden = false;
    downloads.replaceChildren(h("span", { class: "muted" }, "Download"),
      ...LANGUAGES[lang].formats.map((format) => h("button", { type: "button", class: "secondary small", id: `workbench-download-${format}`,
        title: `The whole result as the server renders it with format=${format}`, onclick: () => save(lang, query, format) }, DOWNLOADS[format].label)));
  }

  async function save(lang, query, format) {
    error.hidden = true;
    try {
      const text = await download(lang, query, format);
      const { type, extension } = DOWNLOADS[format];
      const url = URL.createObjectURL(new Blob([text], { type }));
      const link = h("a", { href: url, download: `${lang}-result.${extension}`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (failure) {
      showError(failure);
    }
  }

  async function refreshIndices() {
    indexNote.textContent = "";
    indexNote.className = "muted";
    try {
      const names = await listIndices();
      indexList.replaceChildren(...names.map((name) => h("li", {},
        h("button", { type: "button", class: "workbench-index", "data-index": name, title: `Query ${name}`, onclick: () => setQuery(starter(name, language)) }, name))));
      if (!names.length) indexNote.textContent = "No indices yet: send documents to POST /_bulk.";
    } catch (failure) {
      indexList.replaceChildren();
      const problem = failure instanceof QueryError ? failure : new QueryError(0, String(failure));
      indexNote.textContent = `The indices could not be listed (${problem.status}): ${problem.reason}`;
      indexNote.className = "error";
    }
  }

  return { refreshIndices };
}
