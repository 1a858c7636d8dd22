// Index management → Snapshots → Repositories: every snapshot repository (GET _snapshot) with
// its type, where it writes and how many snapshots it holds; created (PUT _snapshot/<name>, an
// `fs` folder under the server's path.repo or an `s3` bucket), verified (POST .../_verify) and
// deleted (the snapshots stay where they are written).

import { api, call, h } from "../lib.js";
import { attempt, enc, field, notice, page, shown } from "../widgets.js";
import { parseJson } from "./create.js";
import { ask, count, listTable } from "./format.js";
import { snapshotsNav } from "./snapshots.js";

// {name: {type, settings}} of every repository.
export async function repositories() {
  return (await call("GET", "/_snapshot")) || {};
}

export async function renderRepositories(container) {
  await shown(container, () => draw(container));
}

// Where a repository writes, in a line: its folder, or its bucket and prefix.
function where({ type, settings = {} }) {
  if (type === "fs") return settings.location || "—";
  if (type === "s3") return `s3://${settings.bucket || "?"}/${settings.base_path || ""}`;
  return JSON.stringify(settings);
}

function snapshotCount(name) {
  const cell = h("td", { class: "num snapshots" }, h("span", { class: "muted" }, "…"));
  api("GET", `/_snapshot/${enc(name)}/_all`).then((answer) => {
    cell.replaceChildren(answer.status === 200 ? count((JSON.parse(answer.text).snapshots || []).length) : h("span", { class: "muted" }, "—"));
  }).catch(() => cell.replaceChildren("—"));
  return cell;
}

async function draw(container, message = null) {
  const found = await repositories();
  const status = h("div", { class: "status", id: "repositories-status", "aria-live": "polite" }, message);
  const names = Object.keys(found).sort();
  const rows = names.map((name) => h("tr", { "data-repository": name },
    h("td", { class: "name" }, h("strong", {}, name)),
    h("td", { class: "type" }, h("span", { class: "tag" }, found[name].type)),
    h("td", { class: "where" }, h("code", {}, where(found[name]))),
    snapshotCount(name),
    h("td", { class: "actions" },
      h("button", { type: "button", class: "secondary small", "data-action": "verify", "aria-label": `Verify ${name}`,
        onclick: () => attempt(status, async () => {
          const answer = await call("POST", `/_snapshot/${enc(name)}/_verify`);
          const nodes = Object.values(answer?.nodes || {}).map((n) => n.name);
          status.replaceChildren(notice(`${name} is verified: ${nodes.length ? nodes.join(", ") : "the node"} can write to it and read it back.`, "success"));
        }) }, "Verify"),
      h("button", { type: "button", class: "danger small", "data-action": "delete", "aria-label": `Delete ${name}`,
        onclick: async () => {
          if (!(await ask(`Delete the repository ${name}?`, h("p", {},
            "Loghaven forgets the repository; the snapshots written there are kept and come back when it is added again."), "Delete", { danger: true }))) return;
          await attempt(status, async () => {
            await call("DELETE", `/_snapshot/${enc(name)}`);
            await draw(container, notice(`Deleted the repository ${name}.`, "success"));
          });
        } }, "Delete"))));
  const listing = listTable("repositories-table", ["Repository", "Type", "Location", "Snapshots", ""], rows, "No repository yet: add one below.");

  const name = h("input", { id: "repo-name", required: true, autocomplete: "off", spellcheck: "false", placeholder: "backups" });
  const type = h("select", { id: "repo-type" }, h("option", { value: "fs" }, "Shared file system (fs)"), h("option", { value: "s3" }, "Amazon S3 (s3)"));
  const location_ = h("input", { id: "repo-location", autocomplete: "off", spellcheck: "false", placeholder: "/mnt/snapshots/backups" });
  const bucket = h("input", { id: "repo-bucket", autocomplete: "off", spellcheck: "false", placeholder: "my-snapshots" });
  const basePath = h("input", { id: "repo-base-path", autocomplete: "off", spellcheck: "false", placeholder: "loghaven/prod" });
  const extra = h("textarea", { id: "repo-settings", rows: 3, spellcheck: "false", placeholder: '{"compress": true}' });
  const fsFields = h("div", {}, field("Location", location_, "A folder under one of the server's path.repo folders (or relative to the first)."));
  const s3Fields = h("div", { hidden: true }, field("Bucket", bucket), field("Base path (optional)", basePath, "A prefix for the repository's objects in the bucket."));
  type.addEventListener("change", () => { fsFields.hidden = type.value !== "fs"; s3Fields.hidden = type.value !== "s3"; });
  const create = () => attempt(status, async () => {
    const chosen = name.value.trim();
    if (!chosen) throw new Error("Give the repository a name.");
    const settings = type.value === "fs" ? { location: location_.value.trim() }
      : { bucket: bucket.value.trim(), ...(basePath.value.trim() ? { base_path: basePath.value.trim() } : {}) };
    Object.assign(settings, parseJson(extra.value, "settings"));
    await call("PUT", `/_snapshot/${enc(chosen)}`, { type: type.value, settings });
    await draw(container, notice(`Added the repository ${chosen}.`, "success"));
  });
  page(container, snapshotsNav("repositories"),
    status, listing,
    h("form", { class: "form", id: "repo-form", onsubmit: (event) => { event.preventDefault(); create(); } },
      h("h3", {}, "Add a repository"),
      field("Name", name),
      field("Type", type),
      fsFields, s3Fields,
      h("details", { class: "example" }, h("summary", {}, "More settings (JSON)"),
        field("Settings", extra, "Any other setting of PUT _snapshot/<name>, e.g. {\"compress\": true, \"max_snapshot_bytes_per_sec\": \"40mb\"}.")),
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "repo-submit" }, "Add repository"))));
}
