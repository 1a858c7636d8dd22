// A page's state in its URL, so that a link shows the same search: the hash is
// `#<view>/<path>?<name>=<JSON>&…` (app.js hands the part after `?` to the view).

// The hash's parameters as an object of parsed JSON values (unparseable ones left out).
export function readParams(search) {
  const out = {};
  for (const [name, value] of new URLSearchParams(search || "")) {
    try { out[name] = JSON.parse(value); } catch { /* a hand-edited link: ignore that part */ }
  }
  return out;
}

// Put `params` in the hash of the current view without a navigation (replaceState), so that
// Back leaves the page instead of stepping through every keystroke.
export function writeParams(params) {
  const [path] = location.hash.slice(1).split("?");
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, JSON.stringify(value));
  history.replaceState(null, "", `#${path}?${search}`);
}
