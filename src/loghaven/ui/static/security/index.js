// The Security section, as OpenSearch Dashboards' security plugin offers it: internal users,
// roles, role mappings, action groups, API keys, and one's own account. Every page calls the
// security REST API itself (_plugins/_security/api/..., _security/api_key) with the session
// cookie; what a user may not do is refused there, and the page shows the server's reason.

import { $, h, whoami } from "../lib.js";
import { renderAccount } from "./account.js";
import { renderActionGroups } from "./actiongroups.js";
import { renderApiKeys } from "./apikeys.js";
import { renderMappings } from "./mappings.js";
import { renderRoles } from "./roles.js";
import { renderUsers } from "./users.js";
import { notice, page } from "../widgets.js";

const PAGES = {
  users: renderUsers,
  roles: renderRoles,
  mappings: renderMappings,
  actiongroups: renderActionGroups,
  apikeys: renderApiKeys,
};

async function enabled(container) {
  const user = await whoami();
  if (user.user_name) return true;
  page(container, notice(h("span", {}, "Security is disabled: anyone who reaches this node may do anything. ",
    "Start it with ", h("code", {}, "loghaven serve --secure"), " (or ", h("code", {}, "security.enabled: true"),
    ") to have users, roles and API keys."), "info"));
  return false;
}

// #security/<page>/<args...>
export async function showSecurity([name, ...args]) {
  const container = $("#security-page");
  if (!(await enabled(container))) return;
  const current = PAGES[name] ? name : "users";
  const nav = $("#security-nav");
  nav.hidden = false;
  for (const link of nav.querySelectorAll("a")) link.classList.toggle("active", link.dataset.page === current);
  await PAGES[current](container, args);
}

export async function showAccount() {
  const container = $("#account-page");
  if (!(await enabled(container))) return;
  await renderAccount(container, await whoami());
}
