// Index management → Snapshots, as OpenSearch Dashboards' Snapshot Management shows them: the
// snapshots of every repository (GET _snapshot/<repo>/_all, sizes from _status), taken
// (PUT _snapshot/<repo>/<name>), restored with a rename (POST .../_restore) or deleted; the
// repositories (repositories.js) and snapshot policies (smpolicies.js) are its other pages.

import { api, call, h } from "../lib.js";
import { when } from "../alerting/format.js";
import { attempt, enc, field, formatBytes, notice, page, shown } from "../widgets.js";
import { ask, listTable, subnav } from "./format.js";
import { renderRepositories, repositories } from "./repositories.js";
import { renderSmPolicies } from "./smpolicies.js";

const POLL_MS = 1000;
const POLL_LIMIT = 600;
let drawn = 0;  // the newest drawing of the page: an older one stops polling

export function snapshotsNav(current) {
  return subnav("Snapshots", [["list", "Snapshots", "#indices/snapshots"],
    ["repositories", "Repositories", "#indices/snapshots/repositories"],
    ["policies", "Snapshot policies", "#indices/snapshots/policies"]], current);
}

// #indices/snapshots, /repositories, /policies
export async function renderSnapshots(container, [mode]) {
  if (mode === "repositories") return renderRepositories(container);
  if (mode === "policies") return renderSmPolicies(container);
  await shown(container, () => draw(container));
}

// Every snapshot of every repository, newest first, each with its `repository`.
async function allSnapshots(names) {
  const lists = await Promise.all(names.map(async (repository) => {
    const answer = await call("GET", `/_snapshot/${enc(repository)}/_all`);
    return (answer.snapshots || []).map((s) => ({ ...s, repository }));
  }));
  return lists.flat().sort((a, b) => (b.start_time_in_millis || 0) - (a.start_time_in_millis || 0));
}

// A snapshot's size (stats.total.size_in_bytes of its _status), filled in when it comes.
function sizeCell(snapshot) {
  const cell = h("td", { class: "num size" }, h("span", { class: "muted" }, "…"));
  api("GET", `/_snapshot/${enc(snapshot.repository)}/${enc(snapshot.snapshot)}/_status`).then((answer) => {
    const status = answer.status === 200 ? JSON.parse(answer.text).snapshots?.[0] : null;
    const bytes = status?.stats?.total?.size_in_bytes;
    cell.replaceChildren(bytes === undefined ? h("span", { class: "muted" }, "—") : formatBytes(bytes));
  }).catch(() => cell.replaceChildren(h("span", { class: "muted" }, "—")));
  return cell;
}

const stateBadge = (state) => h("span", { class: `tag snapshot-${String(state || "").toLowerCase()}` }, state || "?");

function indicesCell(indices = []) {
  const text = indices.join(", ");
  return h("td", { class: "indices", title: text }, indices.length > 3 ? `${indices.slice(0, 3).join(", ")} +${indices.length - 3}` : text || "—");
}

async function restore(status, snapshot, after) {
  const indices = h("input", { id: "restore-indices", value: (snapshot.indices || []).join(","), autocomplete: "off", spellcheck: "false" });
  const pattern = h("input", { id: "restore-pattern", value: "(.+)", autocomplete: "off", spellcheck: "false" });
  const replacement = h("input", { id: "restore-replacement", value: "restored_$1", autocomplete: "off", spellcheck: "false" });
  const rename = h("input", { type: "checkbox", id: "restore-rename", checked: true,
    onchange: () => { pattern.disabled = replacement.disabled = !rename.checked; } });
  const ok = await ask(`Restore ${snapshot.snapshot}`, [
    field("Indices", indices, "Comma-separated names or patterns of the snapshot's indices."),
    h("label", { class: "field check" }, rename, "Rename the restored indices",
      h("span", { class: "hint" }, "An index that exists already cannot be restored over: restore it under another name, or delete it first.")),
    field("Rename pattern (regular expression)", pattern),
    field("Rename replacement", replacement, "$1 is what the pattern's first group matched."),
  ], "Restore", { id: "restore-go" });
  if (!ok) return;
  const body = { indices: indices.value.trim() || "*" };
  if (rename.checked) Object.assign(body, { rename_pattern: pattern.value, rename_replacement: replacement.value });
  await attempt(status, async () => {
    const answer = await call("POST", `/_snapshot/${enc(snapshot.repository)}/${enc(snapshot.snapshot)}/_restore?wait_for_completion=true`, body);
    const restored = answer?.snapshot?.indices || [];
    status.replaceChildren(notice(restored.length ? `Restored ${restored.join(", ")} from ${snapshot.snapshot}.`
      : `Restoring ${snapshot.snapshot}: the indices appear in the Indices tab as they are restored.`, "success"));
    await after();
  });
}

async function draw(container, message = null) {
  const generation = ++drawn;
  const route = location.hash;
  const current = () => generation === drawn && container.isConnected && location.hash === route;
  const repos = await repositories();
  const names = Object.keys(repos).sort();
  const snapshots = await allSnapshots(names);
  const status = h("div", { class: "status", id: "snapshots-status", "aria-live": "polite" }, message);
  const refresh = () => draw(container, status.firstChild);
  const rows = snapshots.map((s) => h("tr", { "data-snapshot": s.snapshot, "data-repository": s.repository },
    h("td", { class: "name" }, h("strong", {}, s.snapshot)),
    h("td", { class: "repository" }, s.repository),
    h("td", { class: "state" }, stateBadge(s.state)),
    indicesCell(s.indices),
    h("td", { class: "start" }, when(s.start_time_in_millis)),
    h("td", { class: "end" }, s.end_time_in_millis ? when(s.end_time_in_millis) : h("span", { class: "muted" }, "—")),
    sizeCell(s),
    h("td", { class: "actions" },
      h("button", { type: "button", class: "secondary small", "data-action": "restore", "aria-label": `Restore ${s.snapshot}`,
        disabled: s.state !== "SUCCESS" && s.state !== "PARTIAL", onclick: () => restore(status, s, refresh) }, "Restore"),
      h("button", { type: "button", class: "danger small", "data-action": "delete", "aria-label": `Delete ${s.snapshot}`,
        onclick: async () => {
          if (!(await ask(`Delete the snapshot ${s.snapshot}?`, h("p", {}, "Files other snapshots still use are kept. This cannot be undone."),
            "Delete", { danger: true }))) return;
          await attempt(status, async () => {
            await call("DELETE", `/_snapshot/${enc(s.repository)}/${enc(s.snapshot)}`);
            await draw(container, notice(`Deleted ${s.snapshot}.`, "success"));
          });
        } }, "Delete"))));
  const listing = listTable("snapshots-table", ["Snapshot", "Repository", "State", "Indices", "Started", "Finished", "Size", ""], rows,
    names.length ? "No snapshots yet: take one below." : "No repository yet: add one in Repositories first.");

  const repository = h("select", { id: "take-repository", required: true }, names.map((n) => h("option", { value: n }, n)));
  const name = h("input", { id: "take-name", required: true, autocomplete: "off", spellcheck: "false",
    value: `snapshot-${new Date().toISOString().slice(0, 19).replaceAll(":", "-").replace("T", "-").toLowerCase()}` });
  const indices = h("input", { id: "take-indices", autocomplete: "off", spellcheck: "false", placeholder: "all indices", value: "" });
  const take = () => attempt(status, async () => {
    const body = { indices: indices.value.trim() || "*", include_global_state: false };
    await call("PUT", `/_snapshot/${enc(repository.value)}/${enc(name.value.trim())}`, body);
    await draw(container, notice(`Taking ${name.value.trim()} into ${repository.value}.`, "success"));
  });
  page(container, snapshotsNav("list"),
    h("div", { class: "toolbar wrap" },
      h("span", { class: "hint grow" }, "A snapshot copies indices into a repository; later snapshots copy only the files that changed."),
      h("button", { type: "button", class: "secondary", id: "snapshots-reload", onclick: () => attempt(status, refresh) }, "Reload")),
    status, listing,
    names.length ? h("form", { class: "form", id: "take-form", onsubmit: (event) => { event.preventDefault(); take(); } },
      h("h3", {}, "Take a snapshot"),
      field("Repository", repository),
      field("Snapshot name", name, "Lowercase, unique in its repository."),
      field("Indices", indices, "Comma-separated names or patterns (logs-*); empty: every index."),
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "take-submit" }, "Take snapshot"))) : null);
  // A snapshot in progress: look again each second until none is (or the page changes).
  if (snapshots.some((s) => s.state === "IN_PROGRESS")) {
    for (let i = 0; i < POLL_LIMIT && current(); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (!current()) return;
      const again = await allSnapshots(names);
      if (!again.some((s) => s.state === "IN_PROGRESS")) return draw(container, status.firstChild);
    }
  }
}
