// Line charts of figures over time, with the vendored ECharts loaded on first use. Tooltips are
// drawn on the canvas (richText): ECharts' HTML tooltips carry style attributes the UI's
// Content-Security-Policy refuses.

let library = null;
const charts = new Map();

function echarts() {
  library ??= import("../vendor/echarts.esm.min.js");
  return library;
}

window.addEventListener("resize", () => { for (const chart of charts.values()) chart.resize(); });

// Draws (or redraws) a line chart in `element`: `series` = [{name, points: [[ms, value], …]}]
// (a null value is a gap; `dashed` and `color` optional), over `bounds` {min, max} (ms) when given.
export async function lineChart(element, { unit, series, max, bounds }) {
  const { init } = await echarts();
  let chart = charts.get(element);
  if (!chart || chart.isDisposed()) {
    for (const [el, c] of charts) if (!el.isConnected) { c.dispose(); charts.delete(el); }
    chart = init(element, null, { renderer: "canvas" });
    charts.set(element, chart);
  }
  chart.setOption({
    animation: false,
    grid: { left: 56, right: 16, top: series.length > 1 ? 44 : 28, bottom: 28 },
    legend: { show: series.length > 1, top: 0, right: 0, textStyle: { fontSize: 11 } },
    tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: (v) => (v === null || v === undefined ? "—" : `${Number(v).toLocaleString("en", { maximumFractionDigits: 2 })} ${unit}`) },
    xAxis: { type: "time", min: bounds?.min, max: bounds?.max, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", min: 0, max, name: unit, nameTextStyle: { align: "left" }, splitLine: { lineStyle: { color: "#e9edf3" } } },
    series: series.map((s) => ({ type: "line", name: s.name, data: s.points, showSymbol: s.points.filter(([, v]) => v !== null).length < 3, lineStyle: s.dashed ? { type: "dashed" } : undefined, itemStyle: s.color ? { color: s.color } : undefined, smooth: false, areaStyle: series.length === 1 ? { opacity: 0.12 } : undefined })),
  }, { replaceMerge: ["series"] });
  return chart;
}
