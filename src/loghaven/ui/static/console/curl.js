// "Copy as curl": the request as a curl command that sends exactly what the console sends.

// A word in single quotes for a POSIX shell: each ' closes, is escaped, and reopens.
const single = (text) => `'${text.replace(/'/g, "'\\''")}'`;
// A word in double quotes: \ " $ ` escaped (the URL, as curl's documentation writes it).
const double = (text) => `"${text.replace(/[\\"$`]/g, "\\$&")}"`;

// `sent` is parse.js requestBody(request): {body, ndjson}.
export function asCurl(origin, request, sent) {
  const url = double(origin + request.path);
  if (request.method === "HEAD") return `curl -I ${url}`;
  const parts = [`curl -X ${request.method} ${url}`];
  if (sent.body !== undefined) {
    parts.push(`-H ${single(`Content-Type: application/${sent.ndjson ? "x-ndjson" : "json"}`)}`);
    parts.push(`${sent.ndjson ? "--data-binary" : "-d"} ${single(sent.body)}`);
  }
  return parts.join(" ");
}
