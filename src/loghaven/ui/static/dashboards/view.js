// One dashboard: the shared search bar (its time range, query and filters apply to every
// panel; its auto-refresh updates them all), the grid of panels, edit mode (move, resize,
// add, remove, title, save) and full screen. Its search state lives in the URL (`_g`: time and refresh, `_a`:
// query and filters) so that a link shows the same numbers.

import { h } from "../lib.js";
import { renderSavedSearch } from "../discover/embed.js";
import { DEFAULT_STATE, SearchBar } from "../search/bar.js";
import { loadPattern } from "../search/patterns.js";
import { userQuery } from "../search/query.js";
import { writeParams } from "../search/url.js";
import { createObject, findObjects, getObject, parseAttribute, referenceId, updateObject } from "../savedobjects.js";
import { renderVisualization } from "../visualize/render.js";
import { attempt, field, notice, page } from "../widgets.js";
import { compact, dragger, keyStep, nextSlot, place } from "./grid.js";
import { readPanels, writePanels } from "./panels.js";

const RENDERERS = { visualization: renderVisualization, search: renderSavedSearch };
const OPTIONS = JSON.stringify({ hidePanelTitles: false, useMargins: true });
const FULL_SCREEN = "dash-full-screen";
const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";

let current = null;

export function leaveDashboard() {
  current?.destroy();
  current = null;
}

window.addEventListener("hashchange", () => {
  if (!location.hash.startsWith("#dashboards/")) leaveDashboard();
});

export async function showDashboard(root, id, params) {
  leaveDashboard();
  const view = new DashboardView(root, id);
  current = view;
  await view.load(params);
}

// The search state a dashboard opens with: the link's, else the dashboard's stored query and
// filters and (with timeRestore) its time range and refresh interval.
function initialState(attributes, params) {
  const state = structuredClone(DEFAULT_STATE);
  const source = parseAttribute(attributes.kibanaSavedObjectMeta?.searchSourceJSON, {});
  if (source.query && typeof source.query.query === "string") {
    state.query = { language: source.query.language === "dsl" ? "dsl" : "lucene", query: source.query.query };
  }
  if (Array.isArray(source.filter)) state.filters = source.filter;
  if (attributes.timeRestore && attributes.timeFrom) {
    state.time = { from: attributes.timeFrom, to: attributes.timeTo || "now" };
    if (attributes.refreshInterval) state.refresh = { pause: Boolean(attributes.refreshInterval.pause), value: Number(attributes.refreshInterval.value) || 0 };
  }
  if (params._g?.time) state.time = params._g.time;
  if (params._g?.refresh) state.refresh = params._g.refresh;
  if (params._a?.query) state.query = params._a.query;
  if (Array.isArray(params._a?.filters)) state.filters = params._a.filters;
  return state;
}

class DashboardView {
  constructor(root, id) {
    this.root = root;
    this.id = id;
    this.panels = [];
    this.editing = !id;
    this.gone = false;
    this.patternIds = new Set();
    this.fields = new Map();
    this.onKey = (event) => { if (event.key === "Escape") this.fullScreen(false); };
  }

  async load(params) {
    this.status = h("div", { id: "dashboard-status", "aria-live": "polite" });
    if (this.id) {
      try {
        this.object = await getObject("dashboard", this.id);
      } catch (error) {
        page(this.root, h("h2", {}, "Dashboard"), notice(error.status === 404
          ? `Could not find saved object [dashboard/${this.id}]: it was deleted or the link is wrong. Open one from the Dashboards list.`
          : error.message), h("a", { href: "#dashboards" }, "All dashboards"));
        return;
      }
    } else {
      this.object = { type: "dashboard", attributes: { title: "", description: "", panelsJSON: "[]", timeRestore: false }, references: [] };
    }
    if (this.gone) return;
    this.bar = new SearchBar({ state: initialState(this.object.attributes, params), label: "Search this dashboard", onChange: (state) => this.search(state) });
    this.grid = h("div", { class: "dash-grid", id: "dashboard-grid" });
    this.chrome = h("div", { class: "dash-toolbar" });
    page(this.root, this.chrome, this.bar.element, this.status, this.grid,
      h("button", { type: "button", class: "dash-exit-full-screen", id: "exit-full-screen", onclick: () => this.fullScreen(false) }, "Exit full screen"));
    this.drag = dragger(this.grid, () => this.layout(), (layout) => this.applyLayout(layout));
    this.renderChrome();
    this.search(this.bar.getState(), { quiet: true });
    this.showPanels(readPanels(this.object));
  }

  destroy() {
    this.gone = true;
    this.fullScreen(false);
    for (const panel of this.panels) panel.destroy?.();
    this.bar?.destroy();
  }

  // ---- the toolbar: view mode (title, Edit, Full screen) or edit mode (the form) ----

  renderChrome() {
    const a = this.object.attributes;
    this.grid.classList.toggle("editing", this.editing);
    if (!this.editing) {
      this.chrome.replaceChildren(
        h("div", { class: "dash-heading" }, h("h2", { id: "dashboard-title" }, a.title || "Dashboard"),
          a.description ? h("p", { class: "hint", id: "dashboard-description" }, a.description) : null),
        h("div", { class: "buttons" },
          h("a", { href: "#dashboards", class: "button secondary" }, "All dashboards"),
          h("button", { type: "button", class: "secondary", id: "full-screen", onclick: () => this.fullScreen(true) }, "Full screen"),
          h("button", { type: "button", id: "edit-dashboard", onclick: () => { this.editing = true; this.renderChrome(); } }, "Edit")));
      return;
    }
    this.titleInput = h("input", { id: "dashboard-title-input", value: a.title || "", required: true });
    this.descriptionInput = h("input", { id: "dashboard-description-input", value: a.description || "" });
    this.restoreInput = h("input", { type: "checkbox", id: "dashboard-time-restore", checked: Boolean(a.timeRestore) });
    this.chrome.replaceChildren(
      h("div", { class: "dash-edit-form" },
        field("Title", this.titleInput),
        field("Description", this.descriptionInput),
        h("label", { class: "inline", title: "Opening the dashboard then sets the time range and refresh interval shown now" }, this.restoreInput, " Store time with dashboard")),
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "secondary", id: "add-panel", onclick: () => this.addDialog() }, "Add panel"),
        h("button", { type: "button", class: "secondary", id: "cancel-dashboard", onclick: () => this.cancel() }, "Cancel"),
        h("button", { type: "button", id: "save-dashboard", onclick: () => attempt(this.status, () => this.save()) }, "Save")));
  }

  fullScreen(on) {
    document.body.classList.toggle(FULL_SCREEN, on);
    if (on) document.addEventListener("keydown", this.onKey);
    else document.removeEventListener("keydown", this.onKey);
    if (on) this.root.querySelector("#exit-full-screen")?.focus();
  }

  // ---- the search state: every panel updates, the URL follows, auto-refresh ----

  // The bar calls this on a search, a pill, a time change and each auto-refresh period; a DSL
  // query that is not JSON throws, and the bar shows why.
  search(state, { quiet = false } = {}) {
    userQuery(state.query);
    this.state = state;
    writeParams({ _g: { time: state.time, refresh: state.refresh }, _a: { query: state.query, filters: state.filters } });
    if (!quiet) this.refresh();
  }

  refresh() {
    if (this.gone || this.root.hidden) return;
    for (const panel of this.panels) panel.handle?.update({ state: this.state });
  }

  // ---- panels ----

  layout() {
    return this.panels.map((panel) => ({ ...panel.gridData, i: panel.panelIndex }));
  }

  applyLayout(layout) {
    const byIndex = new Map(layout.map((grid) => [grid.i, grid]));
    const order = [...layout].sort((a, b) => a.y - b.y || a.x - b.x).map((g) => g.i);
    for (const panel of this.panels) {
      const grid = byIndex.get(panel.panelIndex);
      panel.gridData = { x: grid.x, y: grid.y, w: grid.w, h: grid.h, i: panel.panelIndex };
      place(panel.element, panel.gridData);
      panel.element.style.order = String(order.indexOf(panel.panelIndex));
    }
  }

  showPanels(panels) {
    for (const panel of this.panels) panel.destroy?.();
    this.panels = [];
    this.grid.replaceChildren();
    for (const panel of panels) this.addPanel(panel);
    this.applyLayout(compact(this.layout()));
    if (!panels.length) this.grid.append(h("p", { class: "muted dash-empty" }, this.editing ? "This dashboard is empty: add a saved visualization or search with Add panel." : "This dashboard has no panels yet: Edit, then Add panel."));
  }

  addPanel(panel) {
    this.grid.querySelector(".dash-empty")?.remove();
    const title = h("h3", { class: "dash-panel-title" }, panel.title || "…");
    const body = h("div", { class: "dash-panel-body" });
    const move = h("button", { type: "button", class: "dash-move edit-only", title: "Drag to move; arrow keys move, shift+arrow keys resize",
      "aria-label": `Move ${panel.title || "panel"}`, onkeydown: (event) => this.key(event, panel, event.shiftKey) }, "⠿");
    const resize = h("button", { type: "button", class: "dash-resize edit-only", title: "Drag to resize; arrow keys resize",
      "aria-label": `Resize ${panel.title || "panel"}`, onkeydown: (event) => this.key(event, panel, true) });
    const header = h("div", { class: "dash-panel-header" }, move, title,
      h("button", { type: "button", class: "dash-remove edit-only", "aria-label": `Remove ${panel.title || "panel"}`, title: "Remove this panel", onclick: () => this.removePanel(panel) }, "×"));
    header.addEventListener("pointerdown", (event) => {
      if (this.editing && (event.target === header || event.target === title || event.target === move)) this.drag(event, panel.panelIndex, "move");
    });
    resize.addEventListener("pointerdown", (event) => { if (this.editing) this.drag(event, panel.panelIndex, "resize"); });
    panel.element = h("section", { class: "dash-panel", "data-panel-index": panel.panelIndex, "data-type": panel.type, "data-id": panel.id || "" },
      header, body, resize);
    panel.titleElement = title;
    panel.controls = [move, resize];
    panel.destroy = () => { panel.gone = true; panel.handle?.destroy(); };
    this.panels.push(panel);
    this.grid.append(panel.element);
    place(panel.element, panel.gridData);
    this.renderPanel(panel, body);
  }

  async renderPanel(panel, body) {
    const render = RENDERERS[panel.type];
    if (!render) {
      body.replaceChildren(notice(`Panels of type "${panel.type}" are not supported here: only saved visualizations and searches are.`));
      return;
    }
    try {
      const object = await getObject(panel.type, panel.id);
      if (panel.gone) return;
      const name = panel.title || object.attributes.title || panel.id;
      panel.titleElement.textContent = name;
      for (const control of panel.controls) control.setAttribute("aria-label", `${control.classList.contains("dash-move") ? "Move" : "Resize"} ${name}`);
      this.notePattern(object);
      const handle = await render(body, object, { state: this.state });
      if (panel.gone) handle?.destroy();
      else panel.handle = handle;
    } catch (error) {
      if (panel.gone) return;
      panel.titleElement.textContent = panel.title || `${panel.type} ${panel.id}`;
      body.replaceChildren(notice(error.status === 404
        ? `Could not find saved object [${panel.type}/${panel.id}]`
        : error.message || String(error)));
    }
  }

  // The fields of the panels' index patterns feed the bar's "Add filter".
  notePattern(object) {
    const source = parseAttribute(object.attributes?.kibanaSavedObjectMeta?.searchSourceJSON, {});
    const id = referenceId(object, source.indexRefName || INDEX_REF) ?? (typeof source.index === "string" ? source.index : null);
    if (!id || this.patternIds.has(id)) return;
    this.patternIds.add(id);
    loadPattern(id).then((pattern) => {
      if (this.gone) return;
      for (const one of pattern.fields) this.fields.set(one.name, one);
      this.bar.setFields([...this.fields.values()].sort((a, b) => a.name.localeCompare(b.name)), [...this.patternIds][0]);
    }).catch(() => { /* a missing pattern: its panel says so */ });
  }

  removePanel(panel) {
    panel.destroy();
    panel.element.remove();
    this.panels = this.panels.filter((p) => p !== panel);
    this.applyLayout(compact(this.layout()));
  }

  key(event, panel, resize) {
    if (!this.editing || !event.key.startsWith("Arrow")) return;
    event.preventDefault();
    this.applyLayout(keyStep(this.layout(), panel.panelIndex, event.key, resize));
  }

  // ---- add a panel: a saved visualization or search ----

  addDialog() {
    const search = h("input", { type: "search", id: "add-panel-search", placeholder: "Search saved visualizations and searches", "aria-label": "Search saved objects to add" });
    const list = h("ul", { class: "plain dash-add-list", id: "add-panel-list" });
    const added = h("p", { class: "muted", "aria-live": "polite" });
    const dialog = h("dialog", { class: "dash-dialog", id: "add-panel-dialog", "aria-label": "Add panels" },
      h("div", { class: "toolbar" }, h("h3", {}, "Add panels"),
        h("button", { type: "button", class: "secondary small", id: "close-add-panel", onclick: () => dialog.close() }, "Close")),
      search, added, list);
    dialog.addEventListener("close", () => dialog.remove());
    window.addEventListener("hashchange", () => dialog.close(), { once: true });
    const load = () => attempt(added, async () => {
      const text = search.value.trim();
      const found = await findObjects(["visualization", "search"], { search: text ? `${text}*` : "", perPage: 200, searchFields: ["title^3", "description"], operator: "AND" });
      const objects = found.saved_objects.sort((a, b) => String(a.attributes.title).localeCompare(String(b.attributes.title)));
      list.replaceChildren(...objects.map((object) => h("li", {},
        h("button", { type: "button", class: "secondary dash-add-item", "data-id": object.id, onclick: () => {
          const panelIndex = crypto.randomUUID();
          this.addPanel({ panelIndex, gridData: nextSlot(this.layout(), panelIndex), embeddableConfig: {}, title: null, type: object.type, id: object.id });
          added.textContent = `Added "${object.attributes.title}".`;
        } }, h("span", { class: "tag" }, object.type === "search" ? "saved search" : "visualization"), " ", object.attributes.title || object.id))));
      if (!objects.length) list.append(h("li", { class: "muted" }, text ? `No saved visualization or search matches "${text}".` : "No saved visualizations or searches yet: make one in Visualize or Discover and save it."));
    });
    let timer = null;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
    this.root.append(dialog);
    dialog.showModal();
    load();
  }

  // ---- save and cancel ----

  async save() {
    const title = this.titleInput.value.trim();
    if (!title) {
      this.titleInput.focus();
      throw new Error("Give the dashboard a title, then Save.");
    }
    const state = this.bar.getState();
    const { panelsJSON, references } = writePanels(this.panels);
    const timeRestore = this.restoreInput.checked;
    const attributes = {
      title, description: this.descriptionInput.value.trim(), panelsJSON,
      optionsJSON: this.object.attributes.optionsJSON || OPTIONS, version: 1, timeRestore,
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: state.query, filter: state.filters }) },
    };
    if (timeRestore) Object.assign(attributes, { timeFrom: state.time.from, timeTo: state.time.to, refreshInterval: state.refresh });
    if (!this.id) {
      const created = await createObject("dashboard", attributes, { references });
      location.hash = `#dashboards/view/${encodeURIComponent(created.id)}`;
      return;
    }
    const updated = await updateObject("dashboard", this.id, attributes, { references });
    this.object = { ...this.object, attributes: { ...this.object.attributes, ...attributes }, references, version: updated.version };
    this.editing = false;
    this.renderChrome();
    this.status.replaceChildren(notice(`Saved "${title}".`, "success"));
  }

  cancel() {
    if (!this.id) {
      location.hash = "#dashboards";
      return;
    }
    this.editing = false;
    this.status.replaceChildren();
    this.renderChrome();
    this.showPanels(readPanels(this.object));
  }
}
