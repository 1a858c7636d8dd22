// The SQL plugin's REST API as the workbench calls it (through lib.js: the session cookie
// goes along, a 401 leads to the login page), and what its refusals mean to the user.

import { api } from "../lib.js";

export const LANGUAGES = {
  sql: { label: "SQL", path: "/_plugins/_sql", formats: ["csv", "json", "jdbc", "raw"] },
  ppl: { label: "PPL", path: "/_plugins/_ppl", formats: ["csv", "jdbc", "raw"] },  // PPL has no format=json
};

// What each download is called and saved as.
export const DOWNLOADS = {
  csv: { label: "CSV", type: "text/csv", extension: "csv" },
  json: { label: "JSON", type: "application/json", extension: "json" },
  jdbc: { label: "JDBC JSON", type: "application/json", extension: "jdbc.json" },
  raw: { label: "Text", type: "text/plain", extension: "txt" },
};

// A refusal: the plugin's {"error": {"type", "reason", "details"}, "status"}, or OpenSearch's
// {"error": {"type", "reason", "root_cause"}} (a security_exception), or a bare text.
export class QueryError extends Error {
  constructor(status, body) {
    const error = body && typeof body === "object" && body.error && typeof body.error === "object" ? body.error : {};
    const text = typeof body === "string" ? body : "";
    super(error.reason || (typeof body?.error === "string" ? body.error : "") || body?.message || text || "request failed");
    this.status = status;
    this.type = error.type || "";
    this.reason = this.message;
    this.details = typeof error.details === "string" ? error.details : "";
  }

  // What to do next.
  get hint() {
    const all = `${this.type} ${this.reason} ${this.details}`;
    if (this.status === 403 || this.type === "security_exception") return "Your roles do not allow this query on these indices: ask an administrator for read permission on them (Security → Roles), or query another index.";
    if (/size_limit/.test(all)) return "The query would read more rows than the server's plugins.query.size_limit allows: add a LIMIT or narrow the WHERE, or page with fetch_size (\"Rows per page\" above 0, then Load more). A download is one request, bound by the limit.";
    if (/cursor/i.test(all) && this.status === 404) return "The result's cursor has expired: run the query again.";
    if (/IndexNotFound|no such index/i.test(all)) return "No index has this name: pick one from the Indices list, or run SHOW TABLES LIKE % to list them.";
    if (/no such field|can't resolve Symbol/i.test(all)) return "A field name is wrong: click an index in the Indices list for a query over all its fields, or run DESCRIBE TABLES LIKE <index>.";
    if (/format=json/.test(all)) return "Download the JDBC JSON or CSV instead: format=json answers only queries that run as one search.";
    if (/Unsupported|SyntaxCheck|parse|Unexpected token/i.test(all)) return "Check the syntax near the position given: SQL takes SELECT, SHOW TABLES LIKE and DESCRIBE TABLES LIKE; PPL starts with source=<index> and pipes commands (| where, | stats, | fields, | sort, | head).";
    if (this.status >= 500) return "The server failed to answer: its log has the cause; try again, or simplify the query.";
    if (this.status === 0) return "The server did not answer: check that it is running, then run the query again.";
    return "Fix the query and run it again.";
  }
}

async function post(path, body) {
  let result;
  try {
    result = await api("POST", path, JSON.stringify(body));
  } catch (error) {
    throw new QueryError(0, String(error.message || error));
  }
  let parsed = result.text;
  try { parsed = JSON.parse(result.text); } catch { /* csv and raw are text */ }
  if (result.status >= 400) throw new QueryError(result.status, parsed);
  return { status: result.status, text: result.text, body: parsed };
}

// The first page of a query in the jdbc format: {schema, datarows, total, size, cursor?}.
export async function runQuery(language, query, fetchSize) {
  const body = { query };
  if (language === "sql" && fetchSize > 0) body.fetch_size = fetchSize;
  return (await post(LANGUAGES[language].path, body)).body;
}

// The next page of a cursor: {datarows, cursor?} (no cursor on the last page).
export async function nextPage(cursor) {
  return (await post(LANGUAGES.sql.path, { cursor })).body;
}

// Frees a cursor the user no longer pages; `leaving` keeps the request alive while the page
// unloads. Failures are of no interest (the cursor expires on its own).
export function closeCursor(cursor, leaving = false) {
  if (!cursor) return Promise.resolve();
  if (leaving) {
    return fetch(`${LANGUAGES.sql.path}/close`, { method: "POST", keepalive: true,
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ cursor }) }).catch(() => {});
  }
  return api("POST", `${LANGUAGES.sql.path}/close`, JSON.stringify({ cursor })).catch(() => {});
}

export async function explainQuery(language, query) {
  return (await post(`${LANGUAGES[language].path}/_explain`, { query })).body;
}

// The whole result of a query in `format` (csv, json, jdbc, raw) as the server renders it.
export async function download(language, query, format) {
  return (await post(`${LANGUAGES[language].path}?format=${format}`, { query })).text;
}

// The index names SHOW TABLES answers with (system indices, starting with ".", left out).
export async function listIndices() {
  const answer = await runQuery("sql", "SHOW TABLES LIKE %", 0);
  const at = answer.schema.findIndex((column) => column.name === "TABLE_NAME");
  return answer.datarows.map((row) => String(row[at])).filter((name) => !name.startsWith("."));
}

// An index name as a query names it: backquoted (SQL) when it is not a plain identifier.
export function quoted(name, language) {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.\-*]*$/.test(name)) return name;
  return language === "sql" ? `\`${name.replaceAll("`", "``")}\`` : `\`${name}\``;
}

export function starter(name, language) {
  return language === "sql" ? `SELECT * FROM ${quoted(name, language)} LIMIT 10` : `source=${quoted(name, language)} | head 10`;
}
