// Index management → an index (#indices/index/<name>): its figures, settings, mappings, aliases
// and stats, its tier (and migration) and lifecycle policy, and what can be done to it:
// refresh, flush, close or open, move to warm or hot, delete (typing its name).

import { api, call, h } from "../lib.js";
import { when } from "../alerting/format.js";
import { attempt, enc, formatBytes, notice, page, shown } from "../widgets.js";
import { confirmTyped, count, jsonBlock, tierBadge, tierOf } from "./format.js";
import { healthCell } from "./list.js";
import { explainOf } from "./managed.js";
import { isFailed, migrationCell, migrationOf, moveButtons, runMove } from "./tiers.js";

const CAT_COLUMNS = "index,health,status,uuid,docs.count,docs.deleted,store.size,pri.store.size,creation.date";

// The index's stats, or null when it has none to give (a closed index).
async function statsOf(name) {
  const answer = await api("GET", `/${enc(name)}/_stats`);
  return answer.status === 200 ? JSON.parse(answer.text).indices?.[name] || null : null;
}

function facts(pairs) {
  return h("dl", { class: "facts", id: "index-facts" },
    pairs.map(([label, value, key]) => [h("dt", {}, label), h("dd", { "data-fact": key }, value)]));
}

function section(title, value, id) {
  return h("details", { class: "json-section", open: true }, h("summary", {}, title), jsonBlock(value, id));
}

export async function renderIndex(container, [name]) {
  if (!name) location.hash = "#indices/indices";  // no index named: the list
  else await shown(container, () => draw(container, name));
}

async function draw(container, name, message) {
  const [[row], described, flat, stats, migration, lifecycle] = await Promise.all([
    call("GET", `/_cat/indices/${enc(name)}?format=json&bytes=b&h=${CAT_COLUMNS}`),
    call("GET", `/${enc(name)}?expand_wildcards=all`),
    call("GET", `/${enc(name)}/_settings?expand_wildcards=all&flat_settings=true`),
    statsOf(name),
    migrationOf(name),
    explainOf(name),
  ]);
  const info = described[name] || {};
  const settings = flat[name]?.settings || {};
  const open = row.status === "open";
  const status = h("div", { class: "status", id: "index-status", "aria-live": "polite" }, message ? notice(message, "success") : null);
  const redraw = (done) => draw(container, name, done);
  const action = (label, id, run, done) => h("button", { type: "button", class: "secondary", id, onclick: () => attempt(status, async () => {
    await run();
    await redraw(done);
  }) }, label);
  const segments = stats?.primaries?.segments?.count;
  const tier = tierOf(settings);
  // A move (or its cancel) from this page, followed in the Tier fact until it is finished.
  const act = (to) => attempt(status, async () => {
    const route = location.hash;
    const { started, last } = await runMove(name, to, status, (current) => {
      tierCell.replaceChildren(tierBadge(tier), current ? migrationCell(current) : null);
    }, () => location.hash === route && container.isConnected);
    if (!started || location.hash !== route || isFailed(last)) return;
    await redraw(to === "cancel" ? `Cancelled the migration of ${name}.` : `Moved ${name}: it is on the ${to} tier now.`);
  });
  const tierCell = h("span", { class: "tier-fact" }, tierBadge(tier), migration ? migrationCell(migration) : null);
  page(container,
    h("p", { class: "crumbs" }, h("a", { href: "#indices/indices" }, "Indices"), " / "),
    h("div", { class: "toolbar wrap" }, h("h3", { id: "index-title" }, name),
      open ? action("Refresh", "index-refresh", () => call("POST", `/${enc(name)}/_refresh`), `Refreshed ${name}: what was written is searchable.`) : null,
      open ? action("Flush", "index-flush", () => call("POST", `/${enc(name)}/_flush`), `Flushed ${name}: what was written is committed to its splits.`) : null,
      open ? action("Close", "index-close", () => call("POST", `/${enc(name)}/_close`), `Closed ${name}: it takes no reads or writes until opened.`)
        : action("Open", "index-open", () => call("POST", `/${enc(name)}/_open`), `Opened ${name}.`),
      open ? moveButtons(name, tier, migration, act, false) : null,
      h("button", { type: "button", class: "danger", id: "index-delete", onclick: () => attempt(status, async () => {
        if (!(await confirmTyped(name, `the index ${name}`))) return;
        await call("DELETE", `/${enc(name)}`);
        location.hash = "#indices/indices";
      }) }, "Delete")),
    status,
    facts([
      ["Health", healthCell(row.health), "health"],
      ["Status", open ? "open" : "closed", "status"],
      ["Tier", tierCell, "tier"],
      ["Lifecycle policy", lifecycle ? [h("a", { href: `#indices/policies/view/${enc(lifecycle.policy)}` }, lifecycle.policy),
        lifecycle.state ? ` · state ${lifecycle.state}` : " · initializing", lifecycle.failed ? [" ", h("span", { class: "tag failed" }, "failed")] : null] : h("span", { class: "muted" }, "none"), "policy"],
      ["Documents", count(row["docs.count"]), "docs"],
      ["Deleted documents", count(row["docs.deleted"]), "deleted"],
      ["Size", row["store.size"] === null ? "—" : formatBytes(row["store.size"]), "size"],
      ["Primary size", row["pri.store.size"] === null ? "—" : formatBytes(row["pri.store.size"]), "primary-size"],
      ["Segments", segments === undefined ? "—" : count(segments), "segments"],
      ["Shards", `${settings["index.number_of_shards"] || 1} primary, ${settings["index.number_of_replicas"] || 0} replica`, "shards"],
      ["Aliases", Object.keys(info.aliases || {}).join(", ") || h("span", { class: "muted" }, "none"), "aliases"],
      ["Created", row["creation.date"] ? when(Number(row["creation.date"])) : "—", "created"],
      ["UUID", h("code", {}, row.uuid), "uuid"],
    ]),
    section("Settings", info.settings || {}, "index-settings"),
    section("Mappings", info.mappings || {}, "index-mappings"),
    section("Aliases", info.aliases || {}, "index-aliases"),
    stats ? section("Stats", stats, "index-stats") : notice("No stats while the index is closed: open it to see them.", "info"));
}
