// Index management → the warm tier, as Amazon OpenSearch Service's UltraWarm offers it: move an
// index to warm or back to hot (POST _ultrawarm/migration/<index>/_warm|_hot), follow the
// migration's state (GET _ultrawarm/migration/<index>/_status) until it is finished, cancel it
// (POST _ultrawarm/migration/_cancel/<index>), and the Migrations view (GET
// _ultrawarm/migration/_status). UltraWarm answers a finished migration's _status with an
// error, so "no migration any more" is "finished" here, and the index's tier says where it is.

import { api, call, h } from "../lib.js";
import { attempt, enc, notice, page, shown } from "../widgets.js";
import { ask, listTable } from "./format.js";

const POLL_MS = 1000;
const POLL_LIMIT = 3600;  // an hour of polls at most; then the page stops looking (Reload looks again)

// What a migration's state means to a person (UltraWarm's states; Loghaven's steps map onto
// them: docs/tiers.md).
const STATES = {
  PENDING_INCREMENTAL_SNAPSHOT: "queued",
  RUNNING_INCREMENTAL_SNAPSHOT: "sealing the index",
  PENDING_FORCE_MERGE: "waiting to merge",
  RUNNING_FORCE_MERGE: "merging splits",
  PENDING_FULL_SNAPSHOT: "waiting to copy",
  RUNNING_FULL_SNAPSHOT: "copying splits",
  PENDING_SHARD_RELOCATION: "waiting to switch",
  RUNNING_SHARD_RELOCATION: "switching over",
  FINISHED_SHARD_RELOCATION: "finished",
};

export const isFailed = (status) => String(status?.state || "").startsWith("FAILED");
export const isFinished = (status) => String(status?.state || "").startsWith("FINISHED");
const failureOf = (status) => status?.failure?.reason || status?.failure_cause || "The migration failed";
const targetOf = (status) => (status?.migration_type === "WARM_TO_HOT" ? "hot" : "warm");
const direction = (status) => (status?.migration_type === "WARM_TO_HOT" ? "warm → hot" : "hot → warm");

// Every migration UltraWarm knows of, as a list of {index, state, migration_type, ...}.
export async function migrations() {
  const answer = await api("GET", "/_ultrawarm/migration/_status");
  if (answer.status !== 200) return [];  // no migrations API (or no right to it): nothing shown
  const found = JSON.parse(answer.text).migration_status;
  return Array.isArray(found) ? found : found ? [found] : [];
}

// One index's migration, or null when there is none (finished, or never started).
export async function migrationOf(index) {
  const answer = await api("GET", `/_ultrawarm/migration/${enc(index)}/_status`);
  if (answer.status !== 200) return null;
  return JSON.parse(answer.text).migration_status || null;
}

// A migration's state as a person reads it: direction, state, progress and, when it failed,
// the cause and what to do next.
export function migrationCell(status) {
  const state = status.state || "PENDING";
  const shards = status.shard_level_status;
  const progress = shards && shards.total ? ` · ${shards.succeeded || 0}/${shards.total} splits` : "";
  const step = status.step ? ` · step ${status.step}` : "";
  return h("span", { class: `migration ${isFailed(status) ? "failed" : "running"}`, "data-state": state },
    h("span", { class: "tag migrating" }, direction(status)), " ",
    h("span", { class: "state", title: state }, STATES[state] || state.toLowerCase().replaceAll("_", " ")),
    h("span", { class: "muted" }, progress + step),
    isFailed(status) ? h("span", { class: "failure" },
      `${failureOf(status)}. The index is whole where it was: retry the move, or cancel it.`) : null);
}

// Asks, then starts moving `index` to `to` ("warm" or "hot"); resolves true when started.
async function move(index, to) {
  const body = to === "warm"
    ? "Its splits are merged, copied to object storage and served from there through the local cache. A warm index is read-only; move it back to hot to write to it again."
    : "Its splits are fetched back from object storage to local disk, and it takes writes again.";
  const ok = await ask(`Move ${index} to ${to}?`, h("p", {}, body), `Move to ${to}`, { id: "move-confirm" });
  if (!ok) return false;
  await call("POST", `/_ultrawarm/migration/${enc(index)}/_${to}`);
  return true;
}

async function cancel(index) {
  await call("POST", `/_ultrawarm/migration/_cancel/${enc(index)}`);
}

// Moves `index` to `to` (or cancels its move: `to` "cancel") after asking, then follows it,
// giving each status to `show` while `alive()`; resolves {started, last}: whether anything
// was sent, and the last status seen. A refusal is shown in `status` with what to do next.
export async function runMove(index, to, status, show, alive) {
  try {
    if (to === "cancel") await cancel(index);
    else if (!(await move(index, to))) return { started: false, last: null };
  } catch (error) {
    status.replaceChildren(moveRefused(error, index, to));
    return { started: false, last: null };
  }
  status.replaceChildren(notice(to === "cancel" ? `Cancelling the migration of ${index}…` : `Moving ${index} to ${to}…`, "info"));
  const last = await follow(index, show, alive);
  if (isFailed(last)) status.replaceChildren(moveRefused(new Error(last.failure?.reason || last.state), index, to));
  return { started: true, last };
}

// Polls `index`'s migration every second, giving each status to `show`, until it is finished
// (no status any more, or FINISHED_*), failed, or `alive()` is false; resolves the last status.
export async function follow(index, show, alive) {
  let last = null;
  for (let i = 0; i < POLL_LIMIT && alive(); i += 1) {
    const status = await migrationOf(index);
    if (!alive()) break;
    show(status);
    if (!status || isFinished(status) || isFailed(status)) return status;
    last = status;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return last;
}

// The row's buttons: "Move to warm" / "Move to hot"; "Cancel" while one runs; "Retry" and
// "Cancel" when it failed (moving again resumes a failed migration, cancelling undoes it).
export function moveButtons(index, tier, status, act, small = true) {
  const size = small ? " small" : "";
  if (status && !isFinished(status)) {
    const stop = h("button", { type: "button", class: `secondary${size}`, "data-action": "cancel",
      "aria-label": `Cancel the migration of ${index}`, onclick: () => act("cancel") }, "Cancel");
    if (!isFailed(status)) return stop;
    const to = targetOf(status);
    return [h("button", { type: "button", class: size.trim() || null, "data-action": `to-${to}`,
      "aria-label": `Retry moving ${index} to ${to}`, onclick: () => act(to) }, "Retry"), stop];
  }
  const to = tier === "warm" ? "hot" : "warm";
  return h("button", { type: "button", class: `secondary${size}`, "data-action": `to-${to}`,
    "aria-label": `Move ${index} to ${to}`, onclick: () => act(to) }, `Move to ${to}`);
}

// #indices/migrations: every migration UltraWarm knows of, refreshed while any runs.
export async function renderMigrations(container) {
  await shown(container, () => drawMigrations(container));
}

let polling = 0;  // the newest Migrations page's poll: an older one stops

async function drawMigrations(container) {
  const status = h("div", { class: "status", id: "migrations-status", "aria-live": "polite" });
  const listing = h("div", { id: "migrations-list" });
  // Retry or cancel from this page: sent (after asking), then the page's poll shows it.
  const act = (index, to) => attempt(status, async () => {
    const { started } = await runMove(index, to, status, () => {}, () => false);
    if (started) await poll();
  });
  const draw = async () => {
    const found = await migrations();
    const rows = found.map((m) => h("tr", { "data-index": m.index },
      h("td", {}, h("a", { href: `#indices/index/${enc(m.index)}` }, m.index)),
      h("td", {}, migrationCell(m)),
      h("td", { class: "state" }, h("code", {}, m.state || "—")),
      h("td", { class: "actions" }, isFinished(m) ? null : moveButtons(m.index, null, m, (to) => act(m.index, to)))));
    listing.replaceChildren(listTable("migrations-table", ["Index", "Migration", "UltraWarm state", ""], rows,
      "No migration is queued or running. Move an index from the Indices tab."));
    return found.some((m) => !isFinished(m) && !isFailed(m));
  };
  // Draws the list each second while a migration is queued or running and the page is shown.
  const poll = async () => {
    const mine = ++polling;
    const route = location.hash;
    for (let i = 0; i < POLL_LIMIT && (await draw()) && mine === polling && location.hash === route; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  page(container,
    h("p", { class: "crumbs" }, h("a", { href: "#indices/indices" }, "Indices"), " / "),
    h("div", { class: "toolbar" }, h("h3", {}, "Migrations"),
      h("span", { class: "hint" }, "Moves between the hot tier (local disk) and the warm tier (object storage), oldest first.")),
    status, listing);
  await poll();
}

// A refusal of a move (or of its cancel) as a notice that says what to do next.
function moveRefused(error, index, to) {
  const what = to === "cancel" ? `The migration of ${index} was not cancelled` : `${index} was not moved to ${to}`;
  const next = error.status === 404 ? "Reload the list: the index (or its migration) is gone."
    : error.status === 429 ? "Too many migrations are queued: wait for some to finish, then try again."
      : to === "cancel" && error.status === 400 ? "It is switching over already: wait for it to finish, then move the index back if you need to."
        : error.status === 400 || error.status === 409 ? `Wait for ${index}'s running migration to finish, or cancel it, then move it again.`
          : error.status ? "Check the server's log, then try again." : "";
  return notice(`${what}: ${error.message || error}. ${next}`.trim());
}
