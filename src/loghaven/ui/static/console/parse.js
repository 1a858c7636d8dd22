// The console's text as OpenSearch Dashboards' console reads it: requests made of a
// "METHOD path" line (with or without the leading slash, with a query string, even as a full
// URL) and an optional body of one JSON document, or several (NDJSON for _bulk, _msearch);
// "#" and "//" comment lines; """triple-quoted""" strings, which become JSON strings.

export const METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"];
const REQUEST_LINE = new RegExp(`^\\s*(${METHODS.join("|")})\\s+(\\S.*?)\\s*$`, "i");
const COMMENT = /^\s*(#|\/\/)/;
const TRIPLE = /"""/g;

// The requests of `text`: {method, path, line, last, body} where `line` is the index of the
// method line, `last` the last line that belongs to it (up to the next request), `body` the
// body's lines as typed (comments left out).
export function splitRequests(text) {
  const lines = text.split("\n");
  const requests = [];
  let current = null;
  let inTriple = false;
  lines.forEach((line, index) => {
    const opens = inTriple;
    inTriple = ((line.match(TRIPLE) || []).length % 2 === 1) !== inTriple;
    const found = !opens && line.match(REQUEST_LINE);
    if (found) {
      current = { method: found[1].toUpperCase(), path: cleanPath(found[2]), line: index, last: index, body: [] };
      requests.push(current);
    } else if (current) {
      current.last = index;
      if (opens || !COMMENT.test(line)) current.body.push(line);
    }
  });
  return requests;
}

// A path as typed: "/_search", "_search", "http://localhost:9200/_search?q=x" all send "/_search...".
function cleanPath(path) {
  const bare = path.replace(/^https?:\/\/[^/]+/i, "");
  return bare.startsWith("/") ? bare : `/${bare}`;
}

// The request whose lines hold line `index` (a line above every request: the first one).
export function requestAt(requests, index) {
  let found = requests[0] || null;
  for (const request of requests) if (request.line <= index) found = request;
  return found;
}

// The line index of `offset` in `text`.
export function lineOf(text, offset) {
  return text.slice(0, offset).split("\n").length - 1;
}

// """text""" → "text" as a JSON string (the console's way to write scripts and queries that
// hold quotes and line breaks).
export function tripleQuoted(text) {
  return text.replace(/"""([\s\S]*?)"""/g, (_, inner) => JSON.stringify(inner));
}

// The JSON documents of a body, as their texts; throws when something else is there.
export function documents(text) {
  const docs = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) { i += 1; continue; }
    const end = valueEnd(text, i);
    docs.push(text.slice(i, end));
    i = end;
  }
  return docs;
}

// Where the JSON value starting at `start` ends: brackets matched outside strings; a scalar
// ends at the line's end.
function valueEnd(text, start) {
  if (text[start] !== "{" && text[start] !== "[") {
    const stop = text.indexOf("\n", start);
    return stop === -1 ? text.length : stop;
  }
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i);
    else if (c === "{" || c === "[") depth += 1;
    else if (c === "}" || c === "]") {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;  // unclosed: JSON.parse says where
}

// The index of the quote that closes the string opened at `start`.
function stringEnd(text, start) {
  if (text.startsWith('"""', start)) {
    const close = text.indexOf('"""', start + 3);
    return close === -1 ? text.length : close + 2;
  }
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === "\\") i += 1;
    else if (text[i] === '"') return i;
  }
  return text.length;
}

// JSON text without the whitespace between its tokens; numbers and strings kept as typed
// (JSON.stringify(JSON.parse(...)) would round big integers).
export function minify(json) {
  let out = "";
  for (let i = 0; i < json.length; i += 1) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      out += json.slice(i, end + 1);
      i = end;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

// JSON text indented by two spaces a level, tokens kept as typed ("""strings""" too).
export function indent(json) {
  let out = "", depth = 0;
  const pad = () => `\n${"  ".repeat(depth)}`;
  const text = minify(json);
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end + 1);
      i = end;
    } else if ((c === "{" || c === "[") && (text[i + 1] === "}" || text[i + 1] === "]")) {
      out += c + text[i + 1];
      i += 1;
    } else if (c === "{" || c === "[") {
      depth += 1;
      out += c + pad();
    } else if (c === "}" || c === "]") {
      depth -= 1;
      out += pad() + c;
    } else if (c === ",") out += c + pad();
    else if (c === ":") out += ": ";
    else out += c;
  }
  return out;
}

const NDJSON_PATH = /(^|\/)(_bulk|_msearch|_mtermvectors)(\/|\?|$)/;

// What is sent for `request`: {body, ndjson} (body undefined without one); throws with the
// line of the request when a document is not JSON.
export function requestBody(request) {
  const docs = documents(tripleQuoted(request.body.join("\n")));
  if (!docs.length) return { body: undefined, ndjson: false };
  const compact = docs.map((doc, n) => {
    try {
      JSON.parse(doc);
    } catch (error) {
      const which = docs.length > 1 ? `document ${n + 1} of the body` : "the body";
      throw new Error(`${request.method} ${request.path} (line ${request.line + 1}): ${which} is not JSON: ${error.message}`);
    }
    return minify(doc);
  });
  const ndjson = docs.length > 1 || NDJSON_PATH.test(request.path.split("?")[0]);
  return { body: ndjson ? `${compact.join("\n")}\n` : compact[0], ndjson };
}

// The body's text re-indented (each document indented, or each on one line when already so).
export function reformat(request) {
  const docs = documents(request.body.join("\n"));
  const pretty = docs.map(indent);
  const same = pretty.every((doc, n) => doc === docs[n]);
  return (same ? docs.map(minify) : pretty).join("\n");
}
