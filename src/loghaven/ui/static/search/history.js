// The queries a user searched, per language, in this browser (localStorage): the last 20,
// newest first, each once — as OpenSearch Dashboards' "recent searches".

export const HISTORY_SIZE = 20;
const key = (language) => `loghaven.queryHistory.${language}`;

export function readHistory(language) {
  try {
    const list = JSON.parse(localStorage.getItem(key(language)) || "[]");
    return Array.isArray(list) ? list.filter((item) => typeof item === "string") : [];
  } catch {
    return [];  // storage refused (private mode) or a hand-edited value
  }
}

// Puts `query` first (removing an older copy) and keeps the last HISTORY_SIZE.
export function remember(language, query) {
  const text = String(query ?? "").trim();
  if (!text) return readHistory(language);
  const list = [text, ...readHistory(language).filter((item) => item !== text)].slice(0, HISTORY_SIZE);
  try { localStorage.setItem(key(language), JSON.stringify(list)); } catch { /* storage full or refused */ }
  return list;
}
