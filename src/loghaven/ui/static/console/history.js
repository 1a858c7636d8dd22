// The console's history: the last 50 requests sent, newest first, in this browser's
// localStorage (as OpenSearch Dashboards' console keeps it).

const KEY = "loghaven.console.history";
const LIMIT = 50;

export function readHistory() {
  try {
    const entries = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(entries) ? entries : [];
  } catch {
    return [];
  }
}

// {method, path, body} where body is the text typed (comments left out); a request sent
// again moves to the top.
export function remember(entry) {
  const same = (other) => other.method === entry.method && other.path === entry.path && other.body === entry.body;
  const entries = [{ ...entry, time: Date.now() }, ...readHistory().filter((other) => !same(other))].slice(0, LIMIT);
  localStorage.setItem(KEY, JSON.stringify(entries));
  return entries;
}

export function clearHistory() {
  localStorage.removeItem(KEY);
}

// The entry as the editor shows a request.
export function requestText(entry) {
  return `${entry.method} ${entry.path}${entry.body ? `\n${entry.body}` : ""}`;
}
