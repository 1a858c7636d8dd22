// A lifecycle policy drawn as boxes and arrows: one box per state (its actions, then where it
// goes and when), in the policy's order, with an arrow to the next box when the state
// transitions there. People would rather look at a policy than read its JSON.

import { h } from "../lib.js";

// A transition's conditions as a person reads them ("after 30d", "at 100,000 documents").
export function conditionText(conditions) {
  if (!conditions || !Object.keys(conditions).length) return "at once";
  const parts = [];
  if (conditions.min_index_age) parts.push(`index older than ${conditions.min_index_age}`);
  if (conditions.min_rollover_age) parts.push(`${conditions.min_rollover_age} after rollover`);
  if (conditions.min_doc_count !== undefined) parts.push(`${Number(conditions.min_doc_count).toLocaleString("en")} documents`);
  if (conditions.min_size) parts.push(`size ${conditions.min_size}`);
  if (conditions.cron?.cron) parts.push(`cron ${conditions.cron.cron.expression}${conditions.cron.cron.timezone ? ` (${conditions.cron.cron.timezone})` : ""}`);
  for (const key of Object.keys(conditions)) {
    if (!["min_index_age", "min_rollover_age", "min_doc_count", "min_size", "cron"].includes(key)) parts.push(key);
  }
  return parts.join(" or ");
}

// An action as one line: its name and its parameters ("rollover: min_index_age 1d").
export function actionText(action) {
  const name = Object.keys(action).find((key) => !["timeout", "retry", "custom"].includes(key)) || "?";
  const params = action[name] && typeof action[name] === "object" ? action[name] : {};
  const shown = Object.entries(params).filter(([, value]) => value === null || typeof value !== "object")
    .map(([key, value]) => `${key} ${value}`);
  const extra = action.timeout ? [`timeout ${action.timeout}`] : [];
  const text = [...shown, ...extra].join(", ");
  return text ? `${name}: ${text}` : name;
}

// The diagram of `policy` ({default_state, states}); a policy without states says so.
export function policyDiagram(policy, id = "policy-diagram") {
  const states = Array.isArray(policy?.states) ? policy.states : [];
  if (!states.length) return h("p", { class: "muted", id }, "No states yet: a policy needs at least one.");
  const boxes = [];
  states.forEach((state, i) => {
    const transitions = Array.isArray(state.transitions) ? state.transitions : [];
    const actions = Array.isArray(state.actions) ? state.actions : [];
    const start = state.name === policy.default_state;
    boxes.push(h("div", { class: `state-box${start ? " start" : ""}`, "data-state": state.name, role: "listitem" },
      h("div", { class: "state-name" }, state.name, start ? h("span", { class: "tag on" }, "start") : null),
      actions.length ? h("ul", { class: "state-actions" }, actions.map((a) => h("li", {}, actionText(a))))
        : h("p", { class: "muted state-none" }, "no actions"),
      transitions.length ? h("ul", { class: "state-transitions" }, transitions.map((t) =>
        h("li", { "data-to": t.state_name }, h("span", { class: "to" }, `→ ${t.state_name}`), ` ${conditionText(t.conditions)}`)))
        : h("p", { class: "muted state-none" }, "final state")));
    const next = states[i + 1];
    if (next) {
      const goes = transitions.some((t) => t.state_name === next.name);
      boxes.push(h("div", { class: `state-arrow${goes ? "" : " none"}`, "aria-hidden": "true" }));
    }
  });
  return h("div", { class: "state-flow", id, role: "list", "aria-label": "States and transitions" }, boxes);
}
