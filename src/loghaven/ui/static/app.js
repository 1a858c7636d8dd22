// The Loghaven UI: plain JavaScript modules over the same REST API that clients use.

import { $, api, reasonOf, whoami } from "./lib.js";
import { readParams } from "./search/url.js";
import { formatBytes } from "./widgets.js";

async function showUser() {
  // Who is logged in: answered only when security is enabled.
  const user = await whoami();
  if (!user.user_name) return;
  $("#user-name").textContent = user.user_name;
  $("#user-roles").textContent = user.roles.join(", ") || "none";
  $("#user-backend-roles").textContent = user.backend_roles.join(", ") || "none";
  $("#user").hidden = false;
}

function toggleUserMenu(open) {
  const menu = $("#user-menu");
  menu.hidden = open === undefined ? !menu.hidden : !open;
  $("#user-name").setAttribute("aria-expanded", String(!menu.hidden));
}

async function logout() {
  await fetch("/_dashboards/auth/logout", { method: "POST", headers: { "osd-xsrf": "true" } });
  location.assign("/_dashboards/login");
}

async function loadOverview() {
  const health = await api("GET", "/_cluster/health");
  const badge = $("#health");
  if (health.status === 200) {
    const status = JSON.parse(health.text).status;
    badge.textContent = status;
    badge.className = `badge ${status}`;
  } else {
    badge.textContent = "—";
    badge.title = `cluster health: ${reasonOf(health.status, JSON.parse(health.text))}`;
  }
  const result = await api("GET", "/_cat/indices?format=json&bytes=b&s=index");
  const rows = JSON.parse(result.text);
  const body = $("#overview-indices tbody");
  body.replaceChildren();
  if (result.status !== 200 || !rows.length) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 5;
    cell.textContent = result.status !== 200 ? reasonOf(result.status, rows)  // e.g. a 403: the user's roles
      : "No indices yet: send documents to POST /_bulk or PUT /<index>/_doc/<id>.";
    if (result.status !== 200) { cell.className = "error"; return; }
  }
  for (const index of rows) {
    const row = body.insertRow();
    const link = row.insertCell().appendChild(document.createElement("a"));
    link.href = `#indices/index/${encodeURIComponent(index.index)}`;  // its detail page
    link.textContent = index.index;
    const health = row.insertCell();
    const dot = document.createElement("span");
    dot.className = `dot ${index.health || ""}`;
    health.append(dot, index.health || "-");
    row.insertCell().textContent = index.status;
    const docs = row.insertCell();
    docs.className = "num";
    docs.textContent = index["docs.count"] === null ? "-" : Number(index["docs.count"]).toLocaleString("en");
    const size = row.insertCell();
    size.className = "num";
    size.textContent = index["store.size"] === null ? "-" : formatBytes(index["store.size"]);
  }
}

// A route is the hash: a view, then the view's own path (#security/roles/edit/name), then
// the view's state after "?" (#discover?_a={…}: search/url.js). Each view's module is fetched
// when it is first shown, so a page loads only what it draws.
const VIEWS = {
  discover: () => import("./discover/index.js").then((m) => m.showDiscover),
  visualize: () => import("./visualize/index.js").then((m) => m.showVisualize),
  dashboards: () => import("./dashboards/index.js").then((m) => m.showDashboards),
  console: () => import("./console/index.js").then((m) => m.showConsole),
  workbench: () => import("./workbench/index.js").then((m) => m.showWorkbench),
  alerting: () => import("./alerting/index.js").then((m) => m.showAlerting),
  notifications: () => import("./alerting/index.js").then((m) => m.showNotifications),
  ingest: () => import("./ingest/index.js").then((m) => m.showIngest),
  indices: () => import("./indices/index.js").then((m) => m.showIndices),
  operations: () => import("./operations/index.js").then((m) => m.showOperations),
  management: () => import("./management/index.js").then((m) => m.showManagement),
  security: () => import("./security/index.js").then((m) => m.showSecurity),
  account: () => import("./security/index.js").then((m) => m.showAccount),
};

let shown = 0;  // the latest show(): a module that arrives after the user moved on draws nothing

async function show(route) {
  const turn = ++shown;
  const [path, search = ""] = route.split("?");
  const [view, ...rest] = path.split("/");
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== view;
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.dataset.view === view);
  toggleUserMenu(false);
  if (!VIEWS[view]) return;
  const render = await VIEWS[view]();
  if (turn === shown) render(rest.map(decodeURIComponent), readParams(search));
}

// At phone width the nav is behind a Menu button; the skip link moves the focus to the page
// without touching the hash (the router's).
function toggleNav(open) {
  const button = $("#nav-toggle");
  const opened = open === undefined ? button.getAttribute("aria-expanded") !== "true" : open;
  button.setAttribute("aria-expanded", String(opened));
  document.body.classList.toggle("nav-open", opened);
}

window.addEventListener("hashchange", () => show(location.hash.slice(1) || "overview"));
$("#nav-toggle").addEventListener("click", () => toggleNav());
$("#main-nav").addEventListener("click", (event) => { if (event.target.closest("a")) toggleNav(false); });
$("#main-nav").addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("nav-open")) { toggleNav(false); $("#nav-toggle").focus(); }
});
$("#skip-link").addEventListener("click", (event) => { event.preventDefault(); $("#main").focus(); });
$("#user-name").addEventListener("click", () => toggleUserMenu());
$("#logout").addEventListener("click", logout);
show(location.hash.slice(1) || "overview");
showUser();
loadOverview();
setInterval(loadOverview, 5000);
