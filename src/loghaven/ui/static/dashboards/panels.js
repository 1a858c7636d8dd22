// A dashboard's panels as OpenSearch Dashboards stores them: `panelsJSON` (a JSON string of
// [{version, gridData: {x, y, w, h, i}, panelIndex, embeddableConfig, panelRefName}]) and
// `references` ([{name: "panel_0", type, id}]). Older panels carry `id` and `type`
// themselves (Kibana 6), and Kibana before 6.3 laid them out on 12 columns (6.1, 6.2:
// gridData; before 6.1: col, row, size_x, size_y): read here as OSD's 7.3 migration does.

import { parseAttribute, referenceId } from "../savedobjects.js";

export const PANEL_VERSION = "7.10.2";
const WIDTH_SCALE = 4;   // 12 → 48 columns
const HEIGHT_SCALE = 5;  // 100 px rows → 20 px rows

// The grid position on OSD's 48 columns, whatever Kibana version stored the panel.
export function gridOf(panel, index) {
  const i = String(panel.panelIndex ?? panel.gridData?.i ?? index + 1);
  let grid = panel.gridData;
  let scale = /^6\.[0-2]\./.test(String(panel.version ?? ""));
  if (!grid && ("size_x" in panel || "col" in panel)) {  // before 6.1
    grid = { x: (panel.col ?? 1) - 1, y: (panel.row ?? 1) - 1, w: panel.size_x ?? 6, h: panel.size_y ?? 3 };
    scale = true;
  }
  grid = grid || { x: 0, y: index * 15, w: 24, h: 15 };
  const out = { x: Number(grid.x) || 0, y: Number(grid.y) || 0, w: Number(grid.w) || 24, h: Number(grid.h) || 15, i };
  if (scale) Object.assign(out, { x: out.x * WIDTH_SCALE, y: out.y * HEIGHT_SCALE, w: out.w * WIDTH_SCALE, h: out.h * HEIGHT_SCALE });
  return out;
}

// The dashboard's panels as {panelIndex, gridData, embeddableConfig, title, type, id}.
export function readPanels(dashboard) {
  const stored = parseAttribute(dashboard.attributes?.panelsJSON, []);
  return (Array.isArray(stored) ? stored : []).map((panel, index) => {
    const gridData = gridOf(panel, index);
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
