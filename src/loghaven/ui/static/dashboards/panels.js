// A dashboard's panels as OpenSearch Dashboards stores them: `panelsJSON` (a JSON string of
// [{version, gridData: {x, y, w, h, i}, panelIndex, embeddableConfig, panelRefName}]) and
// `references` ([{name: "panel_0", type, id}]). Older panels carry `id` and `type`
// themselves (Kibana 6), and Kibana before 6.3 laid them out on 12 columns: read here as
// OSD's 7.3 migration reads them, and saved back in today's shape.

import { parseAttribute, referenceId } from "../savedobjects.js";

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
  if (panel.row !== undefined && !panel.gridData) {
    return { x: (Number(panel.col) - 1) * WIDTH_SCALE || 0, y: (Number(panel.row) - 1) * hs || 0,
      w: panel.size_x ? panel.size_x * WIDTH_SCALE : 24, h: panel.size_y ? panel.size_y * hs : 15, i };
  }
  const grid = panel.gridData || { x: 0, y: index * 15, w: 24, h: 15 };
  const out = { x: Number(grid.x) || 0, y: Number(grid.y) || 0, w: Number(grid.w) || 24, h: Number(grid.h) || 15, i };
  if (!/^6\.[12]\./.test(String(panel.version ?? ""))) return out;
  return { x: out.x * WIDTH_SCALE, y: out.y * hs, w: out.w * WIDTH_SCALE, h: out.h * hs, i };
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
