// The trigger editor's preview, as OpenSearch Dashboards' "Preview condition response": the
// monitor as edited, run now as a dry run (POST _plugins/_alerting/monitors/_execute?dryrun=true
// with the monitor as the body: nothing is alerted, written or sent), and per trigger the value its
// condition reads (the ctx.results[...] paths it names), and whether it would fire now.

import { call, h } from "../lib.js";
import { badge, notice } from "../widgets.js";
import { when } from "./format.js";

const EXECUTE = "/_plugins/_alerting/monitors/_execute?dryrun=true";
// ctx.results[0].hits.total.value, ctx.results[0]['aggregations']...: what a condition reads.
const RESULT_PATH = /ctx\.results((?:\[\d+\]|\[(?:'[^']*'|"[^"]*")\]|\.[A-Za-z_$][\w$]*)+)/g;
const WAIT_MS = 600;

// {element, refresh(), later()}: `monitor()` gives the monitor as edited, or throws the
// reason it cannot run yet (shown instead of a verdict); `name` prefixes the ids.
export function triggerPreview(monitor, name) {
  const verdicts = h("ul", { class: "preview-triggers", "aria-live": "polite" },
    h("li", { class: "muted" }, "Each trigger's value and verdict show here as you edit, or with the button."));
  const period = h("span", { class: "hint" });
  const excerpt = h("pre", { class: "json" });
  const results = h("details", { class: "preview-results", hidden: true }, h("summary", {}, "ctx.results[0] (the input's response)"), excerpt);
  const button = h("button", { type: "button", class: "secondary small", id: `${name}-preview-condition`, onclick: () => refresh() },
    "Preview condition response");
  const element = h("div", { class: "trigger-preview", id: `${name}-preview` },
    h("div", { class: "toolbar" }, h("h4", {}, "Trigger conditions now"), period, button),
    verdicts, results);
  let runs = 0;
  let timer = null;

  async function refresh() {
    clearTimeout(timer);
    const run = ++runs;
    let body;
    try {
      body = monitor();
    } catch (error) {
      verdicts.replaceChildren(h("li", { class: "muted" }, error.message || String(error)));
      return;
    }
    element.classList.add("busy");
    let answer;
    try {
      answer = await call("POST", EXECUTE, body);
    } catch (error) {
      if (run === runs) verdicts.replaceChildren(notice(error.message || String(error)));
      return;
    } finally {
      if (run === runs) element.classList.remove("busy");
    }
    if (run !== runs) return;  // a later edit's run answers instead
    show(body, answer);
  }

  function show(body, answer) {
    const input = answer.input_results || {};
    const errors = [answer.error, input.error].filter(Boolean);
    period.replaceChildren("Period ", when(answer.period_start), " to ", when(answer.period_end));
    const triggers = (body.triggers || []).map((wrapped) => Object.values(wrapped)[0] || {});
    const outcomes = Object.values(answer.trigger_results || {});
    verdicts.replaceChildren(...errors.map((error) => h("li", {}, notice(error))),
      ...outcomes.map((outcome, n) => verdict(triggers[n] || {}, outcome, input.results || [])));
    results.hidden = !(input.results || []).length;
    excerpt.textContent = JSON.stringify(shorten(input.results?.[0]), null, 2);
  }

  return { element, refresh, later: () => { clearTimeout(timer); timer = setTimeout(refresh, WAIT_MS); } };
}

// One trigger's line: its name, the value(s) its condition reads, and the verdict.
function verdict(trigger, outcome, results) {
  const fires = triggered(outcome);
  const state = outcome.error ? badge("Error", "failed") : fires ? badge("Would fire", "active") : badge("Would not fire", "on");
  return h("li", { class: "preview-trigger", "data-trigger-name": outcome.name ?? trigger.name ?? "" },
    h("strong", {}, outcome.name ?? trigger.name ?? ""), " ", state,
    h("div", { class: "preview-value" }, seen(trigger, outcome, results)),
    outcome.error ? h("div", { class: "error preview-error" }, outcome.error) : null);
}

// Query-level: `triggered`; bucket-level: some bucket matched; document-level: some document.
function triggered(outcome) {
  if ("triggered" in outcome) return Boolean(outcome.triggered);
  if (outcome.agg_result_buckets) return Object.keys(outcome.agg_result_buckets).length > 0;
  return (outcome.triggeredDocs || []).length > 0;
}

function seen(trigger, outcome, results) {
  if (outcome.agg_result_buckets) return `${Object.keys(outcome.agg_result_buckets).length} bucket(s) match the condition`;
  if (outcome.triggeredDocs) return `${outcome.triggeredDocs.length} document(s) match the condition`;
  const source = trigger.condition?.script?.source || "";
  const paths = [...new Set([...source.matchAll(RESULT_PATH)].map((m) => m[0]))];
  if (!paths.length) return h("span", { class: "muted" }, "The condition reads no ctx.results value.");
  return paths.map((path) => h("div", {}, h("code", {}, path), " = ", h("code", { class: "value" }, show(read(results, path)))));
}

// The value at a ctx.results path (undefined where the response has none).
export function read(results, path) {
  const steps = [...path.replace(/^ctx\.results/, "").matchAll(/\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|\.([A-Za-z_$][\w$]*)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
  let value = results;
  for (const step of steps) {
    if (value === null || value === undefined) return undefined;
    value = step === "length" && Array.isArray(value) ? value.length : value[step];
  }
  return value;
}

function show(value) {
  if (value === undefined) return "(not in the response)";
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

// The first result without most of its hits: what a condition usually reads.
function shorten(result) {
  if (!result || !Array.isArray(result.hits?.hits) || result.hits.hits.length <= 3) return result;
  return { ...result, hits: { ...result.hits, hits: [...result.hits.hits.slice(0, 3), `… ${result.hits.hits.length - 3} more hits`] } };
}
