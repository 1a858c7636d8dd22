// The console's autocompletion: methods at the start of a line, the API's paths segment by
// segment (from GET /_dashboards/api/console/api_server, which lists the server's routes),
// index and alias names where a path takes an index, and the top-level keys of a search body.
// The popup is a listbox: ArrowUp/ArrowDown choose, Enter or Tab accept, Escape closes.

import { h } from "../lib.js";
import { METHODS, lineOf, requestAt, splitRequests } from "./parse.js";

const SEARCH_KEYS = ["query", "aggs", "aggregations", "size", "from", "sort", "_source", "track_total_hits",
  "post_filter", "highlight", "search_after", "fields", "docvalue_fields", "stored_fields", "script_fields",
  "collapse", "min_score", "timeout", "terminate_after", "explain", "version", "seq_no_primary_term",
  "runtime_mappings", "pit", "indices_boost"];
const SEARCH_PATH = /(^|\/)(_search|_count|_delete_by_query|_update_by_query|_validate\/query|_explain\/[^/]+)(\?|$)/;
const NAME_PLACEHOLDERS = new Set(["{index}", "{indices}"]);
const ALIAS_PLACEHOLDERS = new Set(["{name}"]);
const LIMIT = 50;

// The completions at `cursor`: {from, to, items: [{label, insert, detail}]} or null.
// `spec` is the api_server answer's endpoints; `names` {indices, aliases}.
export function completionsAt(text, cursor, spec, names) {
  const lineStart = text.lastIndexOf("\n", cursor - 1) + 1;
  const lineEnd = text.indexOf("\n", cursor) === -1 ? text.length : text.indexOf("\n", cursor);
  const before = text.slice(lineStart, cursor);
  const after = text.slice(cursor, lineEnd);
  if (/^[A-Za-z]+$/.test(before) && !/^\S/.test(after)) {
    const typed = before.toUpperCase();
    const items = METHODS.filter((m) => m.startsWith(typed) && m !== typed).map((m) => ({ label: m, insert: `${m} `, detail: "method" }));
    return items.length ? { from: lineStart, to: cursor, items } : null;
  }
  const onPath = before.match(/^\s*([A-Za-z]+)\s+(\S*)$/);
  if (onPath && METHODS.includes(onPath[1].toUpperCase())) {
    return pathCompletions(onPath[1].toUpperCase(), onPath[2], cursor, after, spec, names);
  }
  return bodyCompletions(text, cursor, before, after);
}

function pathCompletions(method, typed, cursor, after, spec, names) {
  if (typed.includes("?")) return null;
  const segments = typed.replace(/^https?:\/\/[^/]+/i, "").replace(/^\//, "").split("/");
  const current = segments.pop();
  const rest = after.match(/^[^/?\s]*/)[0];
  const found = new Map();
  for (const endpoint of Object.values(spec || {})) {
    if (!endpoint.methods.includes(method)) continue;
    for (const pattern of endpoint.patterns) {
      const parts = pattern ? pattern.split("/") : [];
      if (parts.length <= segments.length) continue;
      if (!segments.every((segment, i) => matches(parts[i], segment))) continue;
      const next = parts[segments.length];
      const shown = `${method} ${pattern}`;
      if (!next.startsWith("{")) {
        if (next.startsWith(current) && next !== current && !found.has(next)) found.set(next, { label: next, insert: next, detail: shown });
      } else {
        const pool = NAME_PLACEHOLDERS.has(next) ? [...names.indices, ...names.aliases]
          : ALIAS_PLACEHOLDERS.has(next) && /alias/.test(pattern) ? names.aliases : [];
        for (const name of pool) {
          if (name.startsWith(current) && name !== current && (current.startsWith(".") || !name.startsWith(".")) && !found.has(name)) {
            found.set(name, { label: name, insert: name, detail: names.aliases.includes(name) ? "alias" : "index" });
          }
        }
      }
    }
  }
  const items = [...found.values()].sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label)).slice(0, LIMIT);
  return items.length ? { from: cursor - current.length, to: cursor + rest.length, items } : null;
}

// Index and alias names first when the user typed something, the API's words first otherwise.
const rank = (item) => (item.detail === "index" || item.detail === "alias" ? 0 : 1);

const matches = (part, segment) => (part.startsWith("{") ? segment.length > 0 : part === segment);

// A key at the top level of a search body: "query", "aggs", "size"...
function bodyCompletions(text, cursor, before, after) {
  const key = before.match(/^\s*("?)([A-Za-z_]*)$/);
  if (!key) return null;
  const requests = splitRequests(text);
  const line = lineOf(text, cursor);
  const request = requestAt(requests, line);
  if (!request || request.line >= line || !SEARCH_PATH.test(request.path.slice(1))) return null;
  const start = text.split("\n").slice(0, request.line + 1).join("\n").length + 1;
  if (depth(text.slice(start, cursor)) !== 1) return null;
  const typed = key[2];
  const closing = key[1] && after.startsWith('"') ? 1 : 0;
  const items = SEARCH_KEYS.filter((k) => k.startsWith(typed) && k !== typed)
    .map((k) => ({ label: k, insert: `"${k}": `, detail: "search body" }));
  return items.length ? { from: cursor - typed.length - key[1].length, to: cursor + closing, items } : null;
}

// How many objects and arrays are open at the end of `json` (strings skipped).
function depth(json) {
  let open = 0;
  for (let i = 0; i < json.length; i += 1) {
    const c = json[i];
    if (c === '"') {
      for (i += 1; i < json.length && json[i] !== '"'; i += 1) if (json[i] === "\\") i += 1;
    } else if (c === "{" || c === "[") open += 1;
    else if (c === "}" || c === "]") open -= 1;
  }
  return open;
}

let popups = 0;

// The popup under the caret; `accept(completion, item)` inserts the choice.
export class CompletionPopup {
  constructor(editor, accept) {
    this.editor = editor;
    this.accept = accept;
    this.id = `console-completions${popups ? `-${popups}` : ""}`;
    popups += 1;
    this.element = h("ul", { id: this.id, class: "console-completions", role: "listbox", "aria-label": "Completions", hidden: true });
    this.current = null;
    this.active = 0;
    editor.setAttribute("aria-autocomplete", "list");
    editor.setAttribute("aria-controls", this.id);
    editor.setAttribute("aria-expanded", "false");
  }

  get open() { return this.current !== null; }

  show(completion, x, y) {
    if (!completion) { this.close(); return; }
    this.current = completion;
    this.active = 0;
    this.element.replaceChildren(...completion.items.map((item, n) => h("li", {
      id: `${this.id}-${n}`, role: "option", class: "console-completion", "data-value": item.label,
      onmousedown: (event) => { event.preventDefault(); this.choose(n); },
    }, h("span", { class: "label" }, item.label), h("span", { class: "detail" }, item.detail))));
    this.element.style.left = `${x}px`;
    this.element.style.top = `${y}px`;
    this.element.hidden = false;
    this.editor.setAttribute("aria-expanded", "true");
    this.highlight();
  }

  close() {
    this.current = null;
    this.element.hidden = true;
    this.element.replaceChildren();
    this.editor.setAttribute("aria-expanded", "false");
    this.editor.removeAttribute("aria-activedescendant");
  }

  move(step) {
    const count = this.current.items.length;
    this.active = (this.active + step + count) % count;
    this.highlight();
  }

  highlight() {
    [...this.element.children].forEach((option, n) => option.setAttribute("aria-selected", String(n === this.active)));
    const option = this.element.children[this.active];
    this.editor.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  choose(n = this.active) {
    const completion = this.current;
    this.close();
    this.accept(completion, completion.items[n]);
  }

  // Keys while the popup is open; true when the key was the popup's.
  key(event) {
    if (!this.open) return false;
    if (event.key === "ArrowDown") this.move(1);
    else if (event.key === "ArrowUp") this.move(-1);
    else if (event.key === "Enter" || event.key === "Tab") this.choose();
    else if (event.key === "Escape") this.close();
    else return false;
    event.preventDefault();
    return true;
  }
}
