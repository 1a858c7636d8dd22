// What every page of the UI shares: DOM helpers, calls to the REST API (with the session
// cookie, as any client would) and the reasons the server gives for refusing them.

export const $ = (selector, root = document) => root.querySelector(selector);

// Properties set as such (not as attributes), so that a form shows what was given.
const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "readOnly", "selected", "required"]);

// An element: h("td", {class: "num"}, "3"). Text is always text (never parsed as HTML).
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (PROPERTIES.has(key)) node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function toLogin() {
  location.assign(`/_dashboards/login?nextUrl=${encodeURIComponent(location.pathname + location.hash)}`);
}

// A request as the console sends it: the raw status and text. `headers` (e.g. another
// protocol's Content-Type) override the defaults.
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: {} };
  if (body !== undefined && body !== "") {
    init.body = body;
    init.headers["Content-Type"] = path.includes("_bulk") ? "application/x-ndjson" : "application/json";
  }
  Object.assign(init.headers, headers);
  const response = await fetch(path.startsWith("/") ? path : `/${path}`, init);
  if (response.status === 401) toLogin();  // the session ended (security enabled)
  const text = await response.text();
  return { status: response.status, text };
}

export class ApiError extends Error {
  constructor(status, body) {
    super(reasonOf(status, body));
    this.status = status;
    this.body = body;
  }
}

// A JSON request whose refusal (status >= 400) throws an ApiError carrying the server's reason.
export async function call(method, path, body, headers = {}) {
  const result = await api(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
  let parsed = null;
  try { parsed = result.text ? JSON.parse(result.text) : null; } catch { parsed = result.text; }
  if (result.status >= 400) throw new ApiError(result.status, parsed);
  return parsed;
}

// Reads of the same resource made at the same time (a dashboard's panels sharing one index
// pattern) share one request; each caller gets its own copy of the answer.
const reading = new Map();
export function sharedRead(key, read) {
  let pending = reading.get(key);
  if (!pending) {
    pending = read().finally(() => reading.delete(key));
    reading.set(key, pending);
  }
  return pending.then((value) => structuredClone(value));
}

// The reason in any of the error bodies the server answers with: Elasticsearch's
// {"error": {"reason"}}, OpenSearch security's {"status", "message"} and {"status": "error",
// "reason", "invalid_keys": {...}}, the UI API's {"statusCode", "message"}, AWS JSON 1.1's
// {"__type", "message"} and Splunk's {"messages": [{"type", "text"}]}.
export function reasonOf(status, body) {
  let reason = "";
  if (body && typeof body === "object") {
    const error = body.error;
    if (error && typeof error === "object") reason = error.reason || error.type || "";
    else if (typeof error === "string" && !body.message) reason = error;
    if (!reason) reason = body.message || body.reason || "";
    if (!reason && Array.isArray(body.messages)) reason = body.messages.map((m) => m.text).join("; ");
    const details = Object.entries(body)
      .filter(([key]) => !["status", "statusCode", "error", "message", "reason"].includes(key))
      .map(([key, value]) => `${key}: ${value && typeof value === "object" && "keys" in value ? value.keys : JSON.stringify(value)}`);
    if (details.length && body.reason) reason += ` (${details.join("; ")})`;
  } else if (typeof body === "string") {
    reason = body;
  }
  return `${status}: ${reason || "request failed"}`;
}

// Who is logged in, from the UI's authinfo (user_name null when security is disabled).
let who = null;
export function whoami() {
  who ??= fetch("/_dashboards/api/v1/auth/authinfo").then((response) => {
    if (response.status === 401) toLogin();  // the session ended
    return response.ok ? response.json() : { user_name: null, roles: [], backend_roles: [] };
  });
  return who;
}
