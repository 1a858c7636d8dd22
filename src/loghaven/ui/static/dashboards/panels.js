// A dashboard's panels as OpenSearch Dashboards stores them: `panelsJSON` (a JSON string of
// [{version, gridData: {x, y, w, h, i}, panelIndex, embeddableConfig, panelRefName}]) and
// `references` ([{name: "panel_0", type, id}]). Older panels carry `id` and `type`
// themselves (Kibana 6), and Kibana before 6.3 laid them out on 12 columns: read here as
// OSD's 7.3 migration reads them, and saved back in today's shape.

import { parseAttribute, referenceId } from "../savedobjects.js";
import { COLUMNS } from "./grid.js";

export const PANEL_VERSION = "7.10.2";
const WIDTH_SCALE = 4;  // 12 → 48 columns
// 100 px rows → 20 px rows; 4 when the dashboard has margins between panels (optionsJSON).
const heightScale = (useMargins) => (useMargins ? 4 : 5);

// The grid position on OSD's 48 columns, whatever Kibana version stored the panel
// (OpenSearch Dashboards' migratePanelsTo730: before 6.1 `row`, `col`, `size_x`, `size_y`
// counted from 1; 6.1 and 6.2 `gridData` on 12 columns; 6.3 and later as they are).
export function gridOf(panel, index, useMargins = false) {
  const i = String(panel.panelIndex ?? panel.gridData?.i ?? index + 1);
  const hs = heightScale(useMargins);
  let grid;
  if (panel.row !== undefined && !panel.gridData) {
    grid = { x: (Number(panel.col) - 1) * WIDTH_SCALE || 0, y: (Number(panel.row) - 1) * hs || 0,
      w: panel.size_x ? panel.size_x * WIDTH_SCALE : 24, h: panel.size_y ? panel.size_y * hs : 15 };
  } else {
    const g = panel.gridData || { x: 0, y: index * 15, w: 24, h: 15 };
    grid = { x: Number(g.x) || 0, y: Number(g.y) || 0, w: Number(g.w) || 24, h: Number(g.h) || 15 };
    if (/^6\.[12]\./.test(String(panel.version ?? ""))) {
      grid = { x: grid.x * WIDTH_SCALE, y: grid.y * hs, w: grid.w * WIDTH_SCALE, h: grid.h * hs };
    }
  }
  const w = Math.min(COLUMNS, Math.max(1, Math.round(grid.w)));  // a bad file stays on the grid
  return { x: Math.min(Math.max(0, Math.round(grid.x)), COLUMNS - w), y: Math.max(0, Math.round(grid.y)), w, h: Math.max(1, Math.round(grid.h)), i };
}

// The dashboard's panels as {panelIndex, gridData, embeddableConfig, title, type, id}.
export function readPanels(dashboard) {
  const stored = parseAttribute(dashboard.attributes?.panelsJSON, []);
  const useMargins = Boolean(parseAttribute(dashboard.attributes?.optionsJSON, {}).useMargins);
  return (Array.isArray(stored) ? stored : []).map((panel, index) => {
    const gridData = gridOf(panel, index, useMargins);
    const ref = (dashboard.references || []).find((r) => r.name === panel.panelRefName);
    return {
      panelIndex: gridData.i,
      gridData,
      embeddableConfig: panel.embeddableConfig || {},
      title: panel.embeddableConfig?.title ?? panel.title ?? null,
      type: ref?.type ?? panel.type ?? "visualization",
      id: ref?.id ?? panel.id ?? referenceId(dashboard, panel.panelRefName),
    };
  });
}

// panelsJSON and references for a save, the references named panel_0, panel_1… in order.
export function writePanels(panels) {
  const references = [];
  const stored = panels.map((panel, index) => {
    const name = `panel_${index}`;
    references.push({ name, type: panel.type, id: panel.id });
    const embeddableConfig = { ...panel.embeddableConfig };
    if (panel.title) embeddableConfig.title = panel.title;
    return { version: PANEL_VERSION, gridData: { ...panel.gridData, i: panel.panelIndex },
      panelIndex: panel.panelIndex, embeddableConfig, panelRefName: name };
  });
  return { panelsJSON: JSON.stringify(stored), references };
}
