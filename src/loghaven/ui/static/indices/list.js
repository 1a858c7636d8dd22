// Index management → Indices: every index with its health, status, documents, sizes, tier and
// creation date, from _cat/indices (the figures) and _settings (hidden, tier); sorted by any
// column, filtered by name and tier, hidden indices on request; each index moved to the warm
// tier or back (tiers.js), its migration followed in its row. The state is in the hash, so a
// link shows the same list.

import { api, call, h } from "../lib.js";
import { writeParams } from "../search/url.js";
import { when } from "../alerting/format.js";
import { attempt, enc, formatBytes, notice, page, shown, table } from "../widgets.js";
import { renderCreate } from "./create.js";
import { count, tierBadge, tierOf } from "./format.js";
import { follow, isFailed, isFinished, migrationCell, migrations, moveButtons, runMove } from "./tiers.js";

const CAT = "/_cat/indices?format=json&bytes=b&h=index,health,status,uuid,docs.count,docs.deleted,store.size,pri.store.size,creation.date";
const SETTINGS = "/_settings?expand_wildcards=all&flat_settings=true";

// Columns: key, heading, value to sort by, and whether it is a figure.
const COLUMNS = [
  { key: "index", label: "Name", value: (r) => r.index },
  { key: "health", label: "Health", value: (r) => r.health || "" },
  { key: "status", label: "Status", value: (r) => r.status },
  { key: "docs", label: "Documents", value: (r) => Number(r["docs.count"] ?? -1), num: true },
  { key: "size", label: "Size", value: (r) => Number(r["store.size"] ?? -1), num: true },
  { key: "primary", label: "Primary size", value: (r) => Number(r["pri.store.size"] ?? -1), num: true },
  { key: "tier", label: "Tier", value: (r) => r.tier },
  { key: "created", label: "Created", value: (r) => Number(r["creation.date"] || 0), newest: true },
];

// Each index's row, with `hidden` (index.hidden or a dot name, as OSD's "system" indices)
// and `tier` from its settings (left out when a role may list indices but not read settings).
export async function indexRows() {
  const [rows, answer] = await Promise.all([call("GET", CAT), api("GET", SETTINGS)]);
  const settings = answer.status === 200 ? JSON.parse(answer.text) : {};
  return rows.map((row) => {
    const flat = settings[row.index]?.settings || {};
    return { ...row, tier: tierOf(flat), hidden: row.index.startsWith(".") || String(flat["index.hidden"]) === "true" };
  });
}

export function healthCell(health) {
  return health ? [h("span", { class: `dot ${health}` }), health] : h("span", { class: "muted" }, "—");
}

function sorted(rows, key, desc) {
  const column = COLUMNS.find((c) => c.key === key) || COLUMNS[0];
  const out = [...rows].sort((a, b) => {
    const x = column.value(a), y = column.value(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return desc ? out.reverse() : out;
}

// #indices/indices, #indices/indices/new
export async function renderIndices(container, [mode], params) {
  if (mode === "new") return renderCreate(container);
  await shown(container, () => renderList(container, params));
}

async function renderList(container, params) {
  const state = { q: params.q || "", sort: params.sort || "index", desc: Boolean(params.desc), hidden: Boolean(params.hidden),
    tier: ["hot", "warm"].includes(params.tier) ? params.tier : "" };
  const route = location.hash.split("?")[0];
  const alive = () => location.hash.split("?")[0] === route && container.isConnected;
  let [rows, moving] = await Promise.all([indexRows(), migrations()]);
  const running = new Map(moving.map((m) => [m.index, m]));
  if (location.hash.split("?")[0] !== route) return;  // another page was chosen meanwhile
  const status = h("div", { class: "status", id: "indices-status", "aria-live": "polite" });
  const listing = h("div", { id: "indices-list" });
  const summary = h("span", { class: "muted", id: "indices-summary" });

  const draw = () => {
    if (location.hash.split("?")[0] !== route) return;
    writeParams({ q: state.q || undefined, sort: state.sort === "index" ? undefined : state.sort,
      desc: state.desc || undefined, hidden: state.hidden || undefined, tier: state.tier || undefined });
    const needle = state.q.toLowerCase();
    const shownRows = sorted(rows.filter((r) => (state.hidden || !r.hidden) && r.index.toLowerCase().includes(needle) &&
      (!state.tier || r.tier === state.tier)), state.sort, state.desc);
    const hiddenCount = rows.filter((r) => r.hidden).length;
    summary.textContent = `${shownRows.length} of ${rows.length} indices` +
      (!state.hidden && hiddenCount ? ` (${hiddenCount} hidden)` : "");
    const headers = COLUMNS.map((column) => {
      const active = state.sort === column.key;
      const arrow = active ? (state.desc ? " ▼" : " ▲") : "";
      return h("button", { type: "button", class: "sort", "data-sort": column.key,
        "aria-label": `Sort by ${column.label}`, onclick: () => {
          state.desc = active ? !state.desc : Boolean(column.num || column.newest);  // largest, newest first
          state.sort = column.key;
          draw();
        } }, column.label + arrow);
    });
    const body = shownRows.map((r) => h("tr", { "data-index": r.index },
      h("td", { class: "name" }, h("a", { href: `#indices/index/${enc(r.index)}` }, r.index),
        r.hidden ? h("span", { class: "tag off" }, "hidden") : null),
      h("td", { class: "health" }, healthCell(r.health)),
      h("td", { class: "status" }, r.status === "close" ? h("span", { class: "tag off" }, "closed") : r.status),
      h("td", { class: "num docs" }, count(r["docs.count"])),
      h("td", { class: "num size" }, r["store.size"] === null ? "—" : formatBytes(r["store.size"])),
      h("td", { class: "num primary-size" }, r["pri.store.size"] === null ? "—" : formatBytes(r["pri.store.size"])),
      h("td", { class: "tier" }, tierBadge(r.tier), running.has(r.index) ? migrationCell(running.get(r.index)) : null),
      h("td", { class: "created" }, r["creation.date"] ? when(Number(r["creation.date"])) : "—"),
      h("td", { class: "actions" }, r.status === "close" ? null
        : moveButtons(r.index, r.tier, running.get(r.index), (to) => act(r.index, to)))));
    const empty = rows.length ? "No index matches this name and tier." :
      "No indices yet: create one here, or send documents to POST /_bulk.";
    const list = table([...headers, h("span", { class: "sr-only" }, "Actions")], body, empty);
    list.classList.add("indices-table");
    COLUMNS.forEach((column, i) => {
      const th = list.tHead.rows[0].cells[i];
      if (column.num) th.classList.add("num");
      if (state.sort === column.key) th.setAttribute("aria-sort", state.desc ? "descending" : "ascending");
    });
    listing.replaceChildren(h("div", { class: "table-scroll" }, list));
  };

  const refresh = async () => {
    [rows, moving] = await Promise.all([indexRows(), migrations()]);
    running.clear();
    for (const m of moving) running.set(m.index, m);
    draw();
  };
  const reload = () => attempt(status, refresh);
  // A migration's status shown in its index's row (none: it is finished).
  const showIn = (index) => (current) => {
    if (current) running.set(index, current);
    else running.delete(index);
    draw();
  };
  // Moves (or cancels the move of) one index, its migration followed in its row.
  const act = (index, to) => attempt(status, async () => {
    const before = rows.find((r) => r.index === index)?.tier;
    const { started, last } = await runMove(index, to, status, showIn(index), alive);
    if (!started || !alive()) return;
    await refresh();
    const tier = rows.find((r) => r.index === index)?.tier;
    if (isFailed(last)) return;
    status.replaceChildren(notice(to === "cancel" ? `Cancelled the migration of ${index}.`
      : tier !== before ? `${index} is on the ${tier} tier now.` : `${index} is still on the ${tier} tier.`, to === "cancel" || tier !== before ? "success" : "info"));
  });
  const tierFilter = h("select", { id: "indices-tier", "aria-label": "Filter indices by tier",
    onchange: () => { state.tier = tierFilter.value; draw(); } },
  [["", "All tiers"], ["hot", "Hot"], ["warm", "Warm"]].map(([value, text]) => h("option", { value, selected: value === state.tier }, text)));
  const filter = h("input", { type: "search", id: "indices-filter", placeholder: "Filter by name", value: state.q,
    "aria-label": "Filter indices by name", oninput: () => { state.q = filter.value; draw(); } });
  const hidden = h("input", { type: "checkbox", id: "indices-hidden", checked: state.hidden,
    onchange: () => { state.hidden = hidden.checked; draw(); } });
  page(container,
    h("div", { class: "toolbar wrap" }, filter, tierFilter,
      h("label", { class: "inline", for: "indices-hidden" }, hidden, " Show hidden and system indices"),
      summary,
      h("a", { href: "#indices/migrations", class: "button secondary", id: "indices-migrations" }, "Migrations"),
      h("button", { type: "button", class: "secondary", id: "indices-reload", onclick: reload }, "Reload"),
      h("a", { href: "#indices/indices/new", class: "button", id: "create-index" }, "Create index")),
    status, listing);
  draw();
  // A migration under way when the page opened (ISM's, another tab's) is followed too.
  for (const m of moving) {
    if (isFinished(m) || isFailed(m)) continue;
    follow(m.index, showIn(m.index), alive).then(() => alive() && reload(),
      (error) => alive() && status.replaceChildren(notice(error.message || String(error))));
  }
}
