// Index management → Lifecycle policies, as OpenSearch Dashboards' "State management
// policies": every ISM policy (GET _plugins/_ism/policies) with its states and how many
// indices it manages, one policy's page (a diagram of its states, its JSON), the JSON editor
// (PUT _plugins/_ism/policies/<id>, with if_seq_no/if_primary_term when editing) and deletion;
// the managed indices are managed.js.

import { call, h } from "../lib.js";
import { when } from "../alerting/format.js";
import { attempt, enc, field, notice, page, shown } from "../widgets.js";
import { parseJson } from "./create.js";
import { policyDiagram } from "./diagram.js";
import { ask, count, jsonBlock, listTable, subnav } from "./format.js";
import { managedIndices, renderManaged } from "./managed.js";

const ISM = "/_plugins/_ism";

// Amazon OpenSearch Service's sample hot-warm-delete policy (its ISM documentation), without
// the Chime notification whose URL is a placeholder: warm after 7 days, deleted after 90.
const SAMPLE = {
  policy: {
    description: "Demonstrate a hot-warm-delete workflow.",
    default_state: "hot",
    schema_version: 1,
    states: [
      { name: "hot", actions: [], transitions: [{ state_name: "warm", conditions: { min_index_age: "7d" } }] },
      { name: "warm", actions: [{ warm_migration: {}, timeout: "24h", retry: { count: 5, delay: "1h" } }],
        transitions: [{ state_name: "delete", conditions: { min_index_age: "90d" } }] },
      { name: "delete", actions: [{ delete: {} }], transitions: [] },
    ],
  },
};

export function policiesNav(current) {
  return subnav("Lifecycle policies", [["list", "Policies", "#indices/policies"],
    ["managed", "Managed indices", "#indices/policies/managed"]], current);
}

// #indices/policies, /new, /edit/<id>, /view/<id>, /managed
export async function renderPolicies(container, [mode, id]) {
  if (mode === "managed") return renderManaged(container);
  if (mode === "new") return shown(container, () => drawEditor(container, null));
  if (mode === "edit" && id) return shown(container, () => drawEditor(container, id));
  if (mode === "view" && id) return shown(container, () => drawPolicy(container, id));
  await shown(container, () => drawList(container));
}

// Every policy ({_id, _seq_no, _primary_term, policy}).
export async function policies() {
  const answer = await call("GET", `${ISM}/policies?size=1000`);
  return answer.policies || [];
}

async function removePolicy(status, id, after) {
  const ok = await ask(`Delete the policy ${id}?`, h("p", {},
    "Indices it manages keep their data; they stop moving through its states. This cannot be undone."), "Delete", { danger: true });
  if (!ok) return;
  await attempt(status, async () => {
    await call("DELETE", `${ISM}/policies/${enc(id)}`);
    await after();
  });
}

async function drawList(container) {
  const [found, managed] = await Promise.all([policies(), managedIndices()]);
  const using = new Map();
  for (const m of managed) using.set(m.policy, (using.get(m.policy) || 0) + 1);
  const status = h("div", { class: "status", id: "policies-status", "aria-live": "polite" });
  const rows = found.map(({ _id: id, policy = {} }) => h("tr", { "data-policy": id },
    h("td", { class: "name" }, h("a", { href: `#indices/policies/view/${enc(id)}` }, id)),
    h("td", { class: "description" }, policy.description || h("span", { class: "muted" }, "—")),
    h("td", { class: "states" }, (policy.states || []).map((s) => h("span", { class: "tag state" }, s.name))),
    h("td", { class: "num managed" }, count(using.get(id) || 0)),
    h("td", { class: "updated" }, when(policy.last_updated_time)),
    h("td", { class: "actions" },
      h("a", { href: `#indices/policies/edit/${enc(id)}`, class: "button secondary small", "aria-label": `Edit ${id}` }, "Edit"),
      h("button", { type: "button", class: "danger small", "aria-label": `Delete ${id}`,
        onclick: () => removePolicy(status, id, () => drawList(container)) }, "Delete"))));
  const listing = listTable("policies-table", ["Policy", "Description", "States", "Indices", "Last updated", ""], rows,
    "No lifecycle policies yet: create one to move indices to warm and delete them as they age.");
  page(container, policiesNav("list"),
    h("div", { class: "toolbar wrap" },
      h("span", { class: "hint grow" }, "A policy moves the indices it manages through its states: actions run in a state, transitions say when to go on."),
      h("a", { href: "#indices/policies/new", class: "button", id: "policy-create" }, "Create policy")),
    status, listing);
}

async function drawPolicy(container, id) {
  const [found, managed] = await Promise.all([call("GET", `${ISM}/policies/${enc(id)}`), managedIndices()]);
  const policy = found.policy || {};
  const mine = managed.filter((m) => m.policy === id);
  const status = h("div", { class: "status", id: "policy-status", "aria-live": "polite" });
  const templates = [].concat(policy.ism_template || []);
  page(container, policiesNav("list"),
    h("p", { class: "crumbs" }, h("a", { href: "#indices/policies" }, "Lifecycle policies"), " / "),
    h("div", { class: "toolbar wrap" }, h("h3", { id: "policy-title" }, id),
      h("a", { href: `#indices/policies/edit/${enc(id)}`, class: "button secondary", id: "policy-edit" }, "Edit"),
      h("button", { type: "button", class: "danger", id: "policy-delete",
        onclick: () => removePolicy(status, id, () => { location.hash = "#indices/policies"; }) }, "Delete")),
    status,
    h("dl", { class: "facts", id: "policy-facts" },
      h("dt", {}, "Description"), h("dd", {}, policy.description || "—"),
      h("dt", {}, "Starts in"), h("dd", {}, policy.default_state || "—"),
      h("dt", {}, "Applies to new indices"), h("dd", {}, templates.length
        ? templates.map((t) => (t.index_patterns || []).join(", ")).join("; ") : h("span", { class: "muted" }, "none (add it to indices by hand)")),
      h("dt", {}, "Manages"), h("dd", {}, mine.length
        ? h("a", { href: "#indices/policies/managed" }, `${count(mine.length)} ${mine.length === 1 ? "index" : "indices"}`) : "no index"),
      h("dt", {}, "Last updated"), h("dd", {}, when(policy.last_updated_time))),
    h("h4", {}, "States"),
    policyDiagram(policy),
    h("details", { class: "json-section" }, h("summary", {}, "JSON"), jsonBlock(found, "policy-json")));
}

// The policy as the editor shows it: what GET returns, without what the server sets.
function editable(policy) {
  const copy = { ...policy };
  for (const key of ["policy_id", "last_updated_time"]) delete copy[key];
  for (const [key, value] of Object.entries(copy)) if (value === null) delete copy[key];
  return { policy: copy };
}

async function drawEditor(container, id) {
  const found = id ? await call("GET", `${ISM}/policies/${enc(id)}`) : null;
  const status = h("div", { class: "status", id: "policy-editor-status", "aria-live": "polite" });
  const name = h("input", { id: "policy-id", required: true, autocomplete: "off", spellcheck: "false",
    value: id || "", disabled: Boolean(id), placeholder: "hot-warm-delete" });
  const text = h("textarea", { id: "policy-body", rows: 24, spellcheck: "false" },
    JSON.stringify(found ? editable(found.policy) : SAMPLE, null, 2));
  const preview = h("div", { id: "policy-preview" });
  const redraw = () => {
    try {
      preview.replaceChildren(policyDiagram(parseJson(text.value, "policy").policy, "policy-preview-diagram"));
    } catch (error) {
      preview.replaceChildren(notice(error.message, "info"));
    }
  };
  text.addEventListener("input", redraw);
  redraw();
  const save = () => attempt(status, async () => {
    const chosen = name.value.trim();
    if (!chosen) throw new Error("Give the policy an id (letters, digits, - and _).");
    const body = parseJson(text.value, "policy");
    if (!body.policy || typeof body.policy !== "object") throw new Error('The JSON must be {"policy": {...}}, as PUT _plugins/_ism/policies/<id> takes it.');
    const guard = found ? `?if_seq_no=${found._seq_no}&if_primary_term=${found._primary_term}` : "";
    try {
      await call("PUT", `${ISM}/policies/${enc(chosen)}${guard}`, body);
    } catch (error) {
      if (error.status === 409 && found) throw new Error(`${error.message}. Someone changed the policy since this page read it: copy your text, reload, and apply it again.`);
      if (error.status === 409) throw new Error(`${error.message}. Choose another id, or edit that policy.`);
      if (error.status === 400) throw new Error(`${error.message}. Fix the policy where the reason points, then save again.`);
      throw error;
    }
    location.hash = `#indices/policies/view/${enc(chosen)}`;
  });
  page(container, policiesNav("list"),
    h("form", { class: "form wide", id: "policy-form", onsubmit: (event) => { event.preventDefault(); save(); } },
      h("h3", {}, id ? `Edit policy ${id}` : "Create policy"),
      field("Policy id", name, id ? "A policy's id cannot change." : "How indices and templates name the policy."),
      h("div", { class: "editor-split" },
        field("Policy (JSON)", text, "States with their actions (rollover, warm_migration, force_merge, read_only, delete, snapshot…) and transitions (min_index_age, min_doc_count, min_size, min_rollover_age, cron)."),
        h("div", { class: "field" }, h("span", { class: "label" }, "Diagram"), preview)),
      status,
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "policy-save" }, id ? "Update" : "Create"),
        h("a", { href: id ? `#indices/policies/view/${enc(id)}` : "#indices/policies", class: "button secondary" }, "Cancel"))));
  (id ? text : name).focus();
}
