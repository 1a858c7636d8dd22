// Index management → Lifecycle policies → Managed indices, as OpenSearch Dashboards shows them:
// every index a policy manages (GET _plugins/_ism/explain) with its state, action, step and
// the runner's message; a policy added to an index pattern (POST _plugins/_ism/add/<pattern>),
// removed, changed (change_policy) or a failed index retried (retry).

import { api, call, h } from "../lib.js";
import { clipped } from "../alerting/format.js";
import { attempt, enc, field, notice, page, shown } from "../widgets.js";
import { ask, listTable } from "./format.js";
import { policies, policiesNav } from "./policies.js";

const ISM = "/_plugins/_ism";
// Explain lists managed indices 20 at a time by default: these pages ask for this many.
const PAGE = 1000;
const POLICY_ID = "index.plugins.index_state_management.policy_id";

// Every managed index as {index, policy, state, action, step, message, failed, info}; none when
// the explain API refuses (the page that needs it shows the reason itself).
export async function managedIndices() {
  const answer = await api("GET", `${ISM}/explain?size=${PAGE}`);
  if (answer.status !== 200) return [];
  return explained(JSON.parse(answer.text));
}

// One index's managed-index row (see managedIndices), or null when no policy manages it.
export async function explainOf(index) {
  const answer = await api("GET", `${ISM}/explain/${enc(index)}`);
  return answer.status === 200 ? explained(JSON.parse(answer.text))[0] || null : null;
}

function explained(body) {
  const rows = [];
  for (const [index, info] of Object.entries(body || {})) {
    if (!info || typeof info !== "object" || Array.isArray(info)) continue;  // total_managed_indices
    const policy = info[POLICY_ID] ?? info.policy_id ?? info["index.opendistro.index_state_management.policy_id"];
    if (!policy) continue;
    rows.push({ index, policy, info,
      state: info.state?.name || null,
      action: info.action?.name || null,
      step: info.step?.step_status || info.step?.name || null,
      message: info.info?.message || info.info?.cause || null,
      failed: Boolean(info.action?.failed || info.retry_info?.failed || info.failed) });
  }
  return rows.sort((a, b) => a.index.localeCompare(b.index));
}

// The answer of add/remove/retry/change_policy ({updated_indices, failures, failed_indices})
// as a notice: what changed, and each index that was not, with the reason.
function outcome(what, answer) {
  const failed = answer?.failed_indices || [];
  const done = `${what}: ${answer?.updated_indices ?? 0} ${answer?.updated_indices === 1 ? "index" : "indices"} updated.`;
  if (!failed.length) return notice(done, "success");
  return notice(`${done} Not updated: ${failed.map((f) => `${f.index_name} (${f.reason})`).join("; ")}.`, "error");
}

const choice = (id, names, selected) => h("select", { id, required: true },
  names.map((name) => h("option", { value: name, selected: name === selected }, name)));

export async function renderManaged(container) {
  await shown(container, () => draw(container));
}

async function draw(container, message = null) {
  const [body, known] = await Promise.all([call("GET", `${ISM}/explain?size=${PAGE}`), policies()]);
  const rows = explained(body);
  const names = known.map((p) => p._id);
  const status = h("div", { class: "status", id: "managed-status", "aria-live": "polite" }, message);
  const run = (what, method, path, request) => attempt(status, async () => {
    const answer = await call(method, path, request);
    await draw(container, outcome(what, answer));
  });
  const change = async (row) => {
    const target = choice("change-policy", names, row.policy);
    const state = h("input", { id: "change-state", autocomplete: "off", placeholder: "the policy's start state" });
    if (!(await ask(`Change the policy of ${row.index}`, [field("New policy", target),
      field("Start in state (optional)", state, "The index finishes its current action, then moves to this state of the new policy.")], "Change policy"))) return;
    const request = { policy_id: target.value };
    if (state.value.trim()) request.state = state.value.trim();
    await run(`Changed the policy of ${row.index}`, "POST", `${ISM}/change_policy/${enc(row.index)}`, request);
  };
  const remove = async (row) => {
    if (!(await ask(`Remove the policy from ${row.index}?`, h("p", {}, `${row.index} keeps its data and settings; ${row.policy} stops managing it.`),
      "Remove policy", { danger: true }))) return;
    await run(`Removed the policy from ${row.index}`, "POST", `${ISM}/remove/${enc(row.index)}`);
  };
  const lines = rows.map((row) => h("tr", { "data-index": row.index },
    h("td", { class: "name" }, h("a", { href: `#indices/index/${enc(row.index)}` }, row.index)),
    h("td", { class: "policy" }, h("a", { href: `#indices/policies/view/${enc(row.policy)}` }, row.policy)),
    h("td", { class: "state" }, row.state || h("span", { class: "muted" }, "initializing")),
    h("td", { class: "action" }, row.action || h("span", { class: "muted" }, "—")),
    h("td", { class: "step" }, row.step || h("span", { class: "muted" }, "—")),
    h("td", { class: "info" }, clipped(row.message, 120)),
    h("td", { class: "failed" }, row.failed ? h("span", { class: "tag failed" }, "failed") : h("span", { class: "muted" }, "no")),
    h("td", { class: "actions" },
      row.failed ? h("button", { type: "button", class: "small", "data-action": "retry", "aria-label": `Retry ${row.index}`,
        onclick: () => run(`Retried ${row.index}`, "POST", `${ISM}/retry/${enc(row.index)}`) }, "Retry") : null,
      h("button", { type: "button", class: "secondary small", "data-action": "change", "aria-label": `Change the policy of ${row.index}`,
        onclick: () => change(row) }, "Change policy"),
      h("button", { type: "button", class: "danger small", "data-action": "remove", "aria-label": `Remove the policy from ${row.index}`,
        onclick: () => remove(row) }, "Remove"))));
  const listing = listTable("managed-table", ["Index", "Policy", "State", "Action", "Step status", "Info", "Failed", ""], lines,
    "No index is managed yet: apply a policy to indices below, or give a policy an ism_template.");

  const pattern = h("input", { id: "add-pattern", required: true, autocomplete: "off", spellcheck: "false", placeholder: "logs-2026.*" });
  const policy = choice("add-policy", names, names[0]);
  const add = () => run(`Added ${policy.value} to ${pattern.value.trim()}`, "POST", `${ISM}/add/${enc(pattern.value.trim())}`, { policy_id: policy.value });
  page(container, policiesNav("managed"),
    h("div", { class: "toolbar wrap" },
      h("span", { class: "hint grow" }, "The runner checks each managed index every job interval: its state, the action it runs and that action's step."),
      h("button", { type: "button", class: "secondary", id: "managed-reload", onclick: () => attempt(status, () => draw(container)) }, "Reload")),
    status, listing,
    names.length ? h("form", { class: "form", id: "add-policy-form", onsubmit: (event) => { event.preventDefault(); add(); } },
      h("h3", {}, "Apply a policy"),
      field("Indices", pattern, "An index name or a pattern; every index it matches is managed from the policy's start state."),
      field("Policy", policy),
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "add-policy-submit" }, "Apply policy")))
      : notice("Create a lifecycle policy first; then apply it to indices here.", "info"));
}
