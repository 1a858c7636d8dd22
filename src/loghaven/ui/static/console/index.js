// Dev Tools: the console, as OpenSearch Dashboards' console. An editor holding several
// requests ("METHOD path" and an optional JSON or NDJSON body, pasted from the
// documentation), each run at the cursor (Ctrl/Cmd+Enter, or its ▶) or all in order; the
// answers with their status and time; completion of methods, paths and index names;
// history; copy as curl; auto-indent. The editor's text stays in localStorage.

import { $, api, call, h } from "../lib.js";
import { asCurl } from "./curl.js";
import { CompletionPopup, completionsAt } from "./complete.js";
import { clearHistory, readHistory, remember, requestText } from "./history.js";
import { indent, lineOf, reformat, requestAt, requestBody, splitRequests } from "./parse.js";

const TEXT_KEY = "loghaven.console.text";
const INDENT_KEY = "loghaven.console.indentOnEnter";
const WELCOME = `# Welcome to Dev Tools: requests as in the OpenSearch documentation.
# Ctrl+Enter (Cmd+Enter) or ▶ sends the request at the cursor; Ctrl+Space completes.

GET _cluster/health

GET _search
{
  "query": {
    "match_all": {}
  }
}
`;

let ui = null;  // built once, on the first visit

// #console
export async function showConsole() {
  if (!ui) ui = build($("#console"));
  await ui.refreshNames();
}

function build(section) {
  const editor = h("textarea", { id: "request", class: "console-input", spellcheck: "false", wrap: "off",
    "aria-label": "Requests", autocomplete: "off", autocapitalize: "off" });
  editor.value = localStorage.getItem(TEXT_KEY) ?? WELCOME;
  const band = h("div", { class: "console-band", "aria-hidden": "true" });
  const runHere = h("button", { type: "button", id: "run-here", class: "console-run", title: "Send this request (Ctrl+Enter)",
    "aria-label": "Send this request" }, "▶");
  const output = h("pre", { id: "response", class: "console-output", "aria-live": "polite", tabindex: "0" });
  const status = h("span", { id: "status", class: "console-code" });
  const took = h("span", { id: "took", class: "muted" });
  const note = h("span", { id: "console-note", class: "muted", role: "status" });
  const indentOnEnter = h("input", { type: "checkbox", id: "console-indent-on-enter",
    checked: localStorage.getItem(INDENT_KEY) !== "false",
    onchange: () => localStorage.setItem(INDENT_KEY, String(indentOnEnter.checked)) });
  const historyList = h("ol", { class: "console-history-list" });
  const historyPanel = h("section", { id: "console-history", class: "console-history", hidden: true, "aria-label": "History" },
    h("div", { class: "toolbar" }, h("h3", {}, "History"), h("span", { class: "hint" }, "The last 50 requests sent from this browser; choose one to add it to the editor."),
      h("button", { type: "button", class: "secondary small", id: "console-history-clear", onclick: () => { clearHistory(); renderHistory(); } }, "Clear")),
    historyList);
  const historyToggle = h("button", { type: "button", class: "secondary", id: "console-history-toggle", "aria-expanded": "false",
    "aria-controls": "console-history", onclick: () => toggleHistory() }, "History");
  const wrap = h("div", { class: "console-editor" }, band, editor, runHere);
  const popup = new CompletionPopup(editor, (completion, item) => replace(completion.from, completion.to, item.insert));
  wrap.append(popup.element);
  let spec = {};
  const names = { indices: [], aliases: [] };

  section.replaceChildren(
    h("h2", {}, "Dev Tools"),
    h("p", { class: "hint" }, "Send any API request as in the OpenSearch Dashboards console: a line \"METHOD path\", then an optional JSON body (NDJSON for ",
      h("code", {}, "_bulk"), "). Several requests per editor; ", h("kbd", {}, "Ctrl+Enter"), " sends the one at the cursor."),
    h("div", { class: "toolbar console-toolbar" },
      h("button", { type: "button", id: "send", onclick: () => runCurrent() }, "Send request ▶"),
      h("button", { type: "button", class: "secondary", id: "run-all", onclick: () => runAll() }, "Run all"),
      h("button", { type: "button", class: "secondary", id: "auto-indent", title: "Indent the body of the request at the cursor, or fold it on one line (Ctrl+I)",
        onclick: () => autoIndent() }, "Auto-indent"),
      h("button", { type: "button", class: "secondary", id: "copy-curl", onclick: () => copyCurl() }, "Copy as curl"),
      historyToggle,
      h("label", { class: "inline" }, indentOnEnter, " Keep indentation on Enter"),
      note),
    historyPanel,
    h("div", { class: "console" }, wrap,
      h("div", { class: "console-answer" }, h("div", { class: "console-statusbar" }, status, " ", took), output)));

  // --- geometry: the band behind the request at the cursor, its ▶, the popup ---
  const metrics = () => {
    const style = getComputedStyle(editor);
    const context = document.createElement("canvas").getContext("2d");
    context.font = `${style.fontSize} ${style.fontFamily}`;
    return { line: parseFloat(style.lineHeight), char: context.measureText("0".repeat(50)).width / 50,
      top: parseFloat(style.paddingTop), left: parseFloat(style.paddingLeft) };
  };
  let size = null;
  const place = () => {
    size ??= metrics();
    const request = currentRequest();
    band.hidden = runHere.hidden = !request;
    if (!request) return;
    const top = size.top + request.line * size.line - editor.scrollTop;
    band.style.top = `${top}px`;
    band.style.height = `${(lastBodyLine(request) - request.line + 1) * size.line}px`;
    runHere.style.top = `${top}px`;
    runHere.hidden = top < 0 || top > editor.clientHeight - size.line;
  };
  const caret = () => {
    size ??= metrics();
    const cursor = editor.selectionStart;
    const column = cursor - (editor.value.lastIndexOf("\n", cursor - 1) + 1);
    return { x: size.left + column * size.char - editor.scrollLeft, y: size.top + (lineOf(editor.value, cursor) + 1) * size.line - editor.scrollTop };
  };

  // --- the editor ---
  const save = () => localStorage.setItem(TEXT_KEY, editor.value);
  // Inserts through the browser's editing commands, so Ctrl+Z undoes it.
  function replace(from, to, text, cursor) {
    editor.focus();
    editor.setSelectionRange(from, to);
    if (!document.execCommand("insertText", false, text)) editor.setRangeText(text, from, to, "end");
    if (cursor !== undefined) editor.setSelectionRange(cursor, cursor);
    save();
    place();
  }
  const currentRequest = () => requestAt(splitRequests(editor.value), lineOf(editor.value, editor.selectionStart));
  const suggest = () => {
    const at = caret();
    popup.show(completionsAt(editor.value, editor.selectionStart, spec, names), at.x, at.y);
  };

  editor.addEventListener("input", (event) => {
    save();
    place();
    if (event.inputType === "insertText" || event.inputType === "deleteContentBackward") suggest();
    else popup.close();
  });
  editor.addEventListener("keydown", (event) => {
    if (popup.key(event)) return;
    const mod = event.ctrlKey || event.metaKey;
    if (mod && event.key === "Enter") { event.preventDefault(); runCurrent(); }
    else if (mod && event.key === " ") { event.preventDefault(); suggest(); }
    else if (mod && event.key.toLowerCase() === "i") { event.preventDefault(); autoIndent(); }
    else if (event.key === "Enter" && !mod && !event.shiftKey && !event.altKey && indentOnEnter.checked) {
      event.preventDefault();
      newLine();
    }
  });
  for (const type of ["click", "keyup", "scroll", "focus"]) editor.addEventListener(type, place);
  editor.addEventListener("blur", () => popup.close());
  runHere.addEventListener("click", () => runCurrent());

  // Enter keeps the line's indentation, one more level after { or [, and puts a closing
  // bracket right after the cursor on a line of its own.
  function newLine() {
    const { value, selectionStart: start, selectionEnd: end } = editor;
    const lineStart = value.lastIndexOf("\n", start - 1) + 1;
    const indent = value.slice(lineStart).match(/^[ \t]*/)[0].slice(0, start - lineStart);
    const opens = /[{[]\s*$/.test(value.slice(lineStart, start));
    const closes = /^\s*[}\]]/.test(value.slice(end, value.indexOf("\n", end) === -1 ? undefined : value.indexOf("\n", end)));
    if (opens && closes) {
      const inner = `\n${indent}  `;
      replace(start, end, `${inner}\n${indent}`, start + inner.length);
    } else {
      replace(start, end, `\n${indent}${opens ? "  " : ""}`);
    }
  }

  function autoIndent() {
    const request = currentRequest();
    if (!request || !request.body.some((line) => line.trim())) return;
    let text;
    try { text = reformat(request); } catch (error) { note.textContent = error.message; return; }
    const lines = editor.value.split("\n");
    const from = lines.slice(0, request.line + 1).join("\n").length + 1;
    const last = lastBodyLine(request);
    const to = lines.slice(0, last + 1).join("\n").length;
    replace(from, to, text, from);
  }

  // The last line of a request's body that is not blank (or its method line).
  function lastBodyLine(request) {
    const lines = editor.value.split("\n");
    let last = request.last;
    while (last > request.line && !lines[last].trim()) last -= 1;
    return last;
  }

  // --- sending ---
  async function send(request) {
    const sent = requestBody(request);
    const headers = sent.ndjson ? { "Content-Type": "application/x-ndjson" } : {};
    // Browsers send no body with GET: as OpenSearch accepts, such a search goes as a POST.
    const method = request.method === "GET" && sent.body !== undefined ? "POST" : request.method;
    const started = performance.now();
    const result = await api(method, request.path, sent.body, headers);
    const ms = Math.round(performance.now() - started);
    remember({ method: request.method, path: request.path, body: trimmedBody(request) });
    return { request, status: result.status, ms, text: pretty(result.text) };
  }

  function show(answers, error) {
    const last = answers[answers.length - 1];
    status.textContent = last ? String(last.status) : "";
    status.className = `console-code ${last && last.status < 400 ? "ok" : "error"}`;
    took.textContent = last ? `${last.ms} ms` : "";
    output.classList.toggle("error", Boolean(error) || answers.some((a) => a.status >= 400));
    const blocks = answers.map((a) => (answers.length > 1 ? `# ${a.request.method} ${a.request.path} → ${a.status} (${a.ms} ms)\n${a.text}` : a.text));
    if (error) blocks.push(error.message || String(error));
    output.textContent = blocks.join("\n\n");
    renderHistory();
  }

  async function run(requests) {
    popup.close();
    if (!requests.length) { show([], new Error("No request here: write a line such as GET _cat/indices?v.")); return; }
    const answers = [];
    note.textContent = requests.length > 1 ? `Sending ${requests.length} requests…` : "Sending…";
    try {
      for (const request of requests) answers.push(await send(request));
      show(answers);
    } catch (error) {
      show(answers, error);
    }
    note.textContent = "";
    refreshNames();
  }
  const runCurrent = () => run([currentRequest()].filter(Boolean));
  const runAll = () => run(splitRequests(editor.value));

  async function copyCurl() {
    const request = currentRequest();
    if (!request) { note.textContent = "No request at the cursor."; return; }
    let command;
    try { command = asCurl(location.origin, request, requestBody(request)); } catch (error) { note.textContent = error.message; return; }
    try {
      await navigator.clipboard.writeText(command);
      note.textContent = "Copied the request as a curl command.";
    } catch {
      note.textContent = "The browser refused the clipboard: allow it for this site, or copy the command from the answer panel.";
      output.textContent = command;
    }
  }

  // --- history ---
  function renderHistory() {
    const entries = readHistory();
    historyList.replaceChildren(...(entries.length ? entries.map((entry) => h("li", {},
      h("button", { type: "button", class: "console-history-entry", "data-method": entry.method, "data-path": entry.path,
        onclick: () => insertRequest(entry) },
      h("span", { class: "history-request" }, `${entry.method} ${entry.path}`),
      h("time", { datetime: new Date(entry.time).toISOString() }, new Date(entry.time).toLocaleString())))) : [h("li", { class: "muted" }, "No request sent yet.")]));
  }
  function toggleHistory(open = historyPanel.hidden) {
    historyPanel.hidden = !open;
    historyToggle.setAttribute("aria-expanded", String(open));
    if (open) renderHistory();
  }
  // Adds the request at the end of the editor and puts the cursor on it.
  function insertRequest(entry) {
    const value = editor.value.replace(/\s*$/, "");
    const prefix = value ? "\n\n" : "";
    replace(value.length, editor.value.length, `${prefix}${requestText(entry)}\n`, value.length + prefix.length);
    editor.scrollTop = editor.scrollHeight;
    toggleHistory(false);
    editor.focus();
    place();
  }

  // --- what completion knows: the API's paths, the indices and aliases ---
  call("GET", "/_dashboards/api/console/api_server").then((answer) => { spec = answer.es.endpoints; }).catch(() => {});
  async function refreshNames() {
    const [indices, aliases] = await Promise.all([
      api("GET", "/_cat/indices?format=json&h=index&s=index"), api("GET", "/_cat/aliases?format=json&h=alias&s=alias")]);
    const read = (result, key) => { try { return result.status === 200 ? JSON.parse(result.text).map((row) => row[key]) : []; } catch { return []; } };
    names.indices = read(indices, "index");
    names.aliases = [...new Set(read(aliases, "alias"))];
  }
  requestAnimationFrame(place);
  return { refreshNames };
}

// The body as typed, for the history (comments left out, blank lines at the end too).
function trimmedBody(request) {
  return request.body.join("\n").replace(/\s+$/, "");
}

// A JSON answer indented (numbers as sent: JSON.parse would round big ones); other text as is.
function pretty(text) {
  if (!text) return "(no body)";
  try { JSON.parse(text); } catch { return text; }
  return indent(text);
}
