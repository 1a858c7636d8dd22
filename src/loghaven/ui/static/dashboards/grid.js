// The dashboard grid: OpenSearch Dashboards' layout (48 columns, rows of 20 px, 8 px gaps;
// a panel's gridData {x, y, w, h, i}) drawn with CSS grid, panels floated up as
// react-grid-layout does, moved and resized with the pointer or the keyboard in edit mode.
// Our own few functions rather than gridstack: the layout math is ~60 lines, keeps OSD's
// coordinates as they are stored, and needs no vendored file or stylesheet.

export const COLUMNS = 48;
export const ROW_HEIGHT = 20;
export const GAP = 8;
// Keyboard steps: a quarter of a 12-column step sideways, two rows in height.
const X_STEP = 4;
const H_STEP = 2;
const MIN_W = 4;
const MIN_H = 4;

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

// The layout with every panel floated up as far as it goes; `first` (the one being moved)
// wins ties, so the panel it lands on goes below it. Returns new {x, y, w, h, i} objects.
export function compact(layout, first = null) {
  const order = layout.map((g) => ({ ...g }))
    .sort((a, b) => a.y - b.y || (b.i === first) - (a.i === first) || a.x - b.x);
  const placed = [];
  for (const item of order) {
    item.x = Math.max(0, Math.min(item.x, COLUMNS - item.w));
    item.y = Math.max(0, item.y);
    while (placed.some((p) => overlaps(p, item))) item.y += 1;
    while (item.y > 0 && !placed.some((p) => overlaps(p, { ...item, y: item.y - 1 }))) item.y -= 1;
    placed.push(item);
  }
  return placed;
}

// A keyboard step of panel `i`: arrows move it, shift+arrows resize it. Up and down swap it
// with the panel above or below in its columns (as a drag past that panel's top would).
export function keyStep(layout, i, key, shift) {
  const panel = layout.find((g) => g.i === i);
  if (!panel) return layout;
  const moved = { ...panel };
  const columns = (g) => g.i !== i && g.x < panel.x + panel.w && panel.x < g.x + g.w;
  if (shift) {
    if (key === "ArrowRight") moved.w = Math.min(COLUMNS - panel.x, panel.w + X_STEP);
    if (key === "ArrowLeft") moved.w = Math.max(MIN_W, panel.w - X_STEP);
    if (key === "ArrowDown") moved.h = panel.h + H_STEP;
    if (key === "ArrowUp") moved.h = Math.max(MIN_H, panel.h - H_STEP);
  } else if (key === "ArrowRight") moved.x = Math.min(COLUMNS - panel.w, panel.x + X_STEP);
  else if (key === "ArrowLeft") moved.x = Math.max(0, panel.x - X_STEP);
  else if (key === "ArrowUp") {
    const above = layout.filter((g) => columns(g) && g.y < panel.y).sort((a, b) => b.y - a.y)[0];
    if (above) moved.y = above.y;
  } else if (key === "ArrowDown") {
    const below = layout.filter((g) => columns(g) && g.y > panel.y).sort((a, b) => a.y - b.y)[0];
    if (below) moved.y = below.y + 1;
  }
  return compact(layout.map((g) => (g.i === i ? moved : g)), i);
}

// Where a new panel goes: OSD's default size (half the width, 15 rows), under the others.
export function nextSlot(layout, i) {
  const bottom = Math.max(0, ...layout.map((g) => g.y + g.h));
  return { x: 0, y: bottom, w: 24, h: 15, i };
}

export function place(element, grid) {
  element.style.gridColumn = `${grid.x + 1} / span ${grid.w}`;
  element.style.gridRow = `${grid.y + 1} / span ${grid.h}`;
}

// Pointer drags of a panel's header (move) or its corner (resize): `onMove(layout)` with the
// layout recomputed from where the drag started (charts follow their panel's size by
// themselves: the renderers observe it).
export function dragger(gridElement, getLayout, onMove) {
  return (event, i, mode) => {
    if (event.button !== 0) return;
    event.preventDefault();
    const handle = event.currentTarget;
    handle.setPointerCapture(event.pointerId);
    const start = getLayout();
    const from = start.find((g) => g.i === i);
    const columnWidth = (gridElement.clientWidth + GAP) / COLUMNS;
    const origin = { x: event.clientX, y: event.clientY };
    const move = (e) => {
      const dx = Math.round((e.clientX - origin.x) / columnWidth);
      const dy = Math.round((e.clientY - origin.y) / (ROW_HEIGHT + GAP));
      const moved = mode === "resize"
        ? { ...from, w: Math.max(MIN_W, Math.min(COLUMNS - from.x, from.w + dx)), h: Math.max(MIN_H, from.h + dy) }
        : { ...from, x: from.x + dx, y: Math.max(0, from.y + dy) };
      onMove(compact(start.map((g) => (g.i === i ? moved : g)), i));
    };
    const up = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
      handle.removeEventListener("pointercancel", up);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
    handle.addEventListener("pointercancel", up);
  };
}
