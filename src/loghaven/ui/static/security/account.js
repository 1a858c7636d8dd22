// One's own account: who am I, and a new password given the current one
// (GET/PUT _plugins/_security/api/account).

import { call, h } from "../lib.js";
import { attempt, field, list, notice, page } from "../widgets.js";

const ACCOUNT = "/_plugins/_security/api/account";

export async function renderAccount(container) {
  let account;
  try {
    account = await call("GET", ACCOUNT);
  } catch (error) {
    page(container, notice(error.message));
    return;
  }
  const status = h("div", { class: "status" });
  const current = h("input", { id: "current-password", type: "password", autocomplete: "current-password" });
  const password = h("input", { id: "new-password", type: "password", autocomplete: "new-password" });
  const repeat = h("input", { id: "repeat-password", type: "password", autocomplete: "new-password" });
  const change = () => attempt(status, async () => {
    if (!password.value) throw new Error("Enter a new password.");
    if (password.value !== repeat.value) throw new Error("The passwords do not match.");
    const answer = await call("PUT", ACCOUNT, { current_password: current.value, password: password.value });
    for (const input of [current, password, repeat]) input.value = "";
    status.replaceChildren(notice(answer.message, "success"));
  });
  page(container,
    h("dl", { class: "facts" },
      h("dt", {}, "User name"), h("dd", { id: "account-name" }, account.user_name),
      h("dt", {}, "Roles"), h("dd", {}, list(account.roles)),
      h("dt", {}, "Backend roles"), h("dd", {}, list(account.backend_roles)),
      h("dt", {}, "Attributes"), h("dd", {}, list(account.custom_attribute_names))),
    account.is_internal_user ? h("form", { class: "form", onsubmit: (e) => { e.preventDefault(); change(); } },
      h("h3", {}, "Change password"),
      field("Current password", current),
      field("New password", password),
      field("Repeat the new password", repeat),
      h("button", { id: "change-password", type: "submit" }, "Change password"),
      status) : notice("This account is not an internal user: its password is not kept here.", "info"));
}
