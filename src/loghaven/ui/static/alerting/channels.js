// Notifications → Channels (_plugins/_notifications/configs): the list, creation of every
// config type, deletion, and "Send test message" (feature/test/<id>) with its delivery status.
// Secrets show as the server returns them (redacted).

import { ApiError, call, h } from "../lib.js";
import { attempt, badge, enc, field, list, notice, page, shown, table } from "../widgets.js";
import { clipped } from "./format.js";

const CONFIGS = "/_plugins/_notifications/configs";
const TYPES = { slack: "Slack", chime: "Chime", microsoft_teams: "Microsoft Teams", webhook: "Custom webhook",
  email: "Email", sns: "Amazon SNS", smtp_account: "SMTP account", email_group: "Email group" };
// Channels that deliver (SMTP accounts and email groups are parts of email channels).
export const SENDING = new Set(["slack", "chime", "microsoft_teams", "webhook", "email", "sns"]);

// Every notifications config (channels, SMTP accounts, email groups).
export async function configs() {
  return (await call("GET", `${CONFIGS}?max_items=1000`)).config_list;
}

// #notifications/channels, #notifications/channels/new
export async function renderChannels(container, [mode]) {
  await shown(container, async () => {
    if (mode === "new") await renderForm(container);
    else await renderList(container);
  });
}

const recipients = (config) => (config.recipient_list || []).map((r) => r.recipient);

// What identifies a channel's destination, as the server shows it (secrets redacted).
function details(type, config) {
  switch (type) {
    case "slack": case "chime": case "microsoft_teams": return config.url;
    case "webhook": return `${config.method || "POST"} ${config.url}`;
    case "sns": return config.topic_arn;
    case "smtp_account": return `${config.host}:${config.port} (${config.method}) from ${config.from_address}`;
    case "email_group": return list(recipients(config));
    case "email": return list([...recipients(config), ...(config.email_group_id_list || []).map((g) => `group ${g}`)]);
    default: return "";
  }
}

// The test's answer (or a refusal carrying one): each delivery's status, and email recipients'.
function deliveries(answer) {
  return (answer.status_list || []).map((entry) => {
    const status = entry.delivery_status || {};
    const ok = String(status.status_code).startsWith("2");
    return notice(h("span", {}, `${entry.config_name}: ${status.status_code} `, clipped(status.status_text, 300),
      (entry.email_recipient_status || []).map((r) => h("span", { class: "recipient" },
        ` ${r.recipient}: ${r.delivery_status?.status_code} ${r.delivery_status?.status_text || ""}`))), ok ? "success" : "error");
  });
}

async function sendTest(status, id) {
  let answer;
  try {
    answer = await call("POST", `/_plugins/_notifications/feature/test/${enc(id)}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.body?.status_list)) throw error;
    answer = error.body;
  }
  status.replaceChildren(...deliveries(answer));
}

async function renderList(container) {
  const all = await configs();
  const status = h("div", { class: "status", id: "channel-status" });
  const reload = () => renderList(container);
  const rows = all.sort((a, b) => a.config.name.localeCompare(b.config.name)).map(({ config_id: id, config }) => h("tr", { "data-channel": id, "data-name": config.name },
    h("td", {}, h("strong", {}, config.name), config.description ? h("div", { class: "muted" }, config.description) : null),
    h("td", {}, TYPES[config.config_type] || config.config_type),
    h("td", {}, config.is_enabled ? badge("enabled", "on") : badge("muted", "off")),
    h("td", { class: "details" }, details(config.config_type, config[config.config_type] || {})),
    h("td", { class: "actions" },
      SENDING.has(config.config_type) ? h("button", { type: "button", class: "secondary small test",
        onclick: () => attempt(status, () => sendTest(status, id)) }, "Send test message") : null,
      h("button", { type: "button", class: "danger small", onclick: () => attempt(status, async () => {
        if (!confirm(`Delete the channel ${config.name}?`)) return;
        await call("DELETE", `${CONFIGS}/${enc(id)}`);
        await reload();
      }) }, "Delete"))));
  page(container,
    h("div", { class: "toolbar" }, h("p", { class: "hint" }, "Where monitors' actions send their messages; SMTP accounts and email groups serve email channels."),
      h("a", { href: "#notifications/channels/new", class: "button", id: "create-channel" }, "Create channel")),
    status,
    table(["Name", "Type", "State", "Destination", ""], rows, "No channels yet."));
}

const text = (name, attrs = {}) => h("input", { name, id: `channel-${name}`, ...attrs });
const split = (value) => value.split(",").map((v) => v.trim()).filter(Boolean);

// Each type's controls and how they read into the type's object.
function typeFields(type, all) {
  const ofType = (kind) => all.filter((c) => c.config.config_type === kind);
  if (["slack", "chime", "microsoft_teams"].includes(type)) {
    const url = text("url", { type: "url", required: true, placeholder: "https://hooks.slack.com/services/..." });
    return { nodes: [field("Webhook URL", url)], read: () => ({ url: url.value.trim() }) };
  }
  if (type === "webhook") {
    const url = text("url", { type: "url", required: true });
    const method = h("select", { name: "method", id: "channel-method" }, ["POST", "PUT", "PATCH"].map((m) => h("option", { value: m }, m)));
    const headers = h("textarea", { name: "headers", id: "channel-headers", rows: 3, placeholder: "Authorization: Bearer ..." });
    return {
      nodes: [field("URL", url), field("Method", method), field("Headers", headers, "One \"Name: value\" a line; values are kept secret.")],
      read: () => ({ url: url.value.trim(), method: method.value, header_params: Object.fromEntries(headers.value.split("\n")
        .map((line) => line.split(/:(.*)/s).map((part) => part?.trim())).filter(([name]) => name).map(([name, value]) => [name, value || ""])) }),
    };
  }
  if (type === "sns") {
    const topic = text("topic_arn", { required: true, placeholder: "arn:aws:sns:us-east-1:000000000000:topic" });
    const role = text("role_arn");
    return { nodes: [field("Topic ARN", topic, "A topic hosted by this node, or one in AWS."), field("IAM role ARN (optional)", role)],
      read: () => ({ topic_arn: topic.value.trim(), ...(role.value.trim() ? { role_arn: role.value.trim() } : {}) }) };
  }
  if (type === "smtp_account") {
    const host = text("host", { required: true }), port = text("port", { type: "number", value: "587" });
    const method = h("select", { name: "smtp-method", id: "channel-smtp-method" }, ["ssl", "start_tls", "none"].map((m) => h("option", { value: m, selected: m === "start_tls" }, m)));
    const from = text("from_address", { type: "email", required: true });
    const username = text("username", { autocomplete: "off" }), password = text("password", { type: "password", autocomplete: "new-password" });
    return {
      nodes: [field("Host", host), field("Port", port), field("Encryption", method), field("From address", from),
        field("User name (optional)", username), field("Password (optional)", password, "Stored sealed, never shown again; sent only over TLS.")],
      read: () => ({ host: host.value.trim(), port: Number(port.value), method: method.value, from_address: from.value.trim(),
        ...(username.value ? { username: username.value, password: password.value } : {}) }),
    };
  }
  const to = text("recipients", { placeholder: "oncall@example.com, ops@example.com" });
  if (type === "email_group") {
    return { nodes: [field("Recipients", to, "Email addresses, separated by commas.")],
      read: () => ({ recipient_list: split(to.value).map((recipient) => ({ recipient })) }) };
  }
  // email
  const account = h("select", { name: "email_account_id", id: "channel-email-account" },
    ofType("smtp_account").map((c) => h("option", { value: c.config_id }, c.config.name)));
  const groups = h("select", { name: "email_groups", id: "channel-email-groups", multiple: true },
    ofType("email_group").map((c) => h("option", { value: c.config_id }, c.config.name)));
  return {
    nodes: [field("SMTP account", account, ofType("smtp_account").length ? null : "Create an SMTP account first."),
      field("Recipients", to, "Email addresses, separated by commas."), field("Email groups", groups)],
    read: () => ({ email_account_id: account.value, recipient_list: split(to.value).map((recipient) => ({ recipient })),
      email_group_id_list: [...groups.selectedOptions].map((o) => o.value) }),
  };
}

async function renderForm(container) {
  const all = await configs();
  const status = h("div", { class: "status", id: "channel-form-status" });
  const name = text("name", { required: true });
  const description = text("description");
  const type = h("select", { name: "config_type", id: "channel-type" }, Object.entries(TYPES).map(([v, label]) => h("option", { value: v }, label)));
  const specific = h("div", { class: "type-fields" });
  let current;
  const retype = () => { current = typeFields(type.value, all); specific.replaceChildren(...current.nodes); };
  type.addEventListener("change", retype);
  retype();
  const save = () => attempt(status, async () => {
    if (!name.value.trim()) throw new Error("Enter a name.");
    await call("POST", CONFIGS, { config: { name: name.value.trim(), description: description.value, config_type: type.value,
      is_enabled: true, [type.value]: current.read() } });
    location.hash = "#notifications/channels";
  });
  page(container, h("form", { class: "form", id: "channel-form", onsubmit: (e) => { e.preventDefault(); save(); } },
    h("h3", {}, "Create channel"),
    field("Name", name), field("Description", description), field("Type", type), specific,
    h("div", { class: "buttons" }, h("button", { type: "submit", id: "save-channel" }, "Create"),
      h("a", { href: "#notifications/channels", class: "button secondary" }, "Cancel")),
    status));
}
