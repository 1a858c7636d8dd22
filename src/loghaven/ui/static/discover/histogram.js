// Hits over time: the total, the interval ("per 30 minutes") with its selector, and an
// ECharts bar chart of the date_histogram. Dragging across the chart (a brush) or clicking a
// bar zooms: `onZoom(from, to)` with absolute ISO times. The numbers are also in a visually
// hidden table and in data-* attributes of the chart, for screen readers and tests.

import { h } from "../lib.js";
import { INTERVAL_CHOICES, intervalWords } from "./request.js";
import { formatTime } from "./table.js";

let echartsModule = null;
const loadCharts = () => (echartsModule ??= import("../vendor/echarts.esm.min.js"));

export class Histogram {
  constructor({ onZoom, onInterval }) {
    this.onZoom = onZoom;
    this.total = h("strong", { class: "hit-count", "aria-live": "polite" }, "…");
    this.select = h("select", { "aria-label": "Histogram interval", class: "interval-select", onchange: () => onInterval(this.select.value) },
      INTERVAL_CHOICES.map(([value, label]) => h("option", { value }, label)));
    this.words = h("span", { class: "interval-words" });
    this.scaled = h("span", { class: "interval-scaled muted" });
    this.canvas = h("div", { class: "histogram-chart", role: "img", "aria-label": "Hits over time" });
    this.summary = h("table", { class: "visually-hidden histogram-summary" });
    this.element = h("div", { class: "histogram" },
      h("div", { class: "histogram-head" }, h("span", {}, this.total, " hits"),
        h("label", { class: "interval" }, this.words, this.select), this.scaled),
      this.canvas, this.summary);
    this.buckets = [];
    this.interval = null;
  }

  // Show `buckets` ([{key, doc_count}]) of `interval` ({name, ms, scaled}) and the total.
  async render({ buckets, interval, choice, bounds, total }) {
    this.buckets = buckets;
    this.interval = interval;
    this.total.textContent = total.toLocaleString("en");
    this.select.value = choice;
    this.words.textContent = `${formatTime(bounds.min)} – ${formatTime(bounds.max)}, per ${intervalWords(interval.name)}`;
    this.scaled.textContent = interval.scaled ? " (scaled: the chosen interval makes too many buckets for this time range)" : "";
    const sum = buckets.reduce((n, b) => n + b.doc_count, 0);
    Object.assign(this.canvas.dataset, { total: String(total), sum: String(sum), bars: String(buckets.length), interval: interval.name, from: String(bounds.min), to: String(bounds.max) });
    this.summary.replaceChildren(
      h("caption", {}, `Hits over time per ${intervalWords(interval.name)}: ${total} in all`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "From"), h("th", { scope: "col" }, "Hits"))),
      h("tbody", {}, buckets.map((b) => h("tr", {}, h("td", {}, new Date(b.key).toISOString()), h("td", {}, String(b.doc_count))))));
    const echarts = await loadCharts();
    if (!this.canvas.isConnected) return;
    if (!this.chart) this.setup(echarts);
    this.chart.setOption({
      xAxis: { min: bounds.min, max: bounds.max },
      series: [{ type: "bar", name: "Count", data: buckets.map((b) => [b.key, b.doc_count]), barWidth: "90%", itemStyle: { color: "#54b399" } }],
    }, { replaceMerge: ["series"] });
    this.chart.resize();
    this.chart.dispatchAction({ type: "brush", areas: [] });  // the zoom is done: clear the selection
    this.armBrush();
  }

  setup(echarts) {
    this.chart = echarts.init(this.canvas, null, { renderer: "canvas" });
    this.chart.setOption({
      animation: false,
      toolbox: { show: false },
      grid: { left: 48, right: 16, top: 12, bottom: 28 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: (items) => {
        const [key, count] = items[0].data;
        return h("div", {}, h("div", {}, formatTime(key)), h("div", {}, `Count: ${count}`));  // nodes, not HTML text
      } },
      xAxis: { type: "time", axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f4" } } },
      brush: { xAxisIndex: 0, brushType: "lineX", brushMode: "single", transformable: false, removeOnClick: true, toolbox: [],
        brushStyle: { color: "rgba(0,119,204,0.15)", borderColor: "#0077cc", borderWidth: 1 } },
      series: [],
    });
    this.chart.on("brushEnd", (event) => {
      const range = event.areas?.[0]?.coordRange;
      if (!range || Math.abs(range[1] - range[0]) < 1) return;
      this.onZoom(new Date(Math.round(range[0])).toISOString(), new Date(Math.round(range[1])).toISOString());
    });
    // A click (no drag) on a bar zooms to that bucket; the brush takes the mouse, so the click
    // is found from the pixel rather than from the bar's own event.
    let down = null;
    this.chart.getZr().on("mousedown", (event) => { down = event.offsetX; });
    this.chart.getZr().on("click", (event) => {
      if (down === null || Math.abs(event.offsetX - down) > 3) return;  // the end of a drag
      const value = this.chart.convertFromPixel({ xAxisIndex: 0 }, event.offsetX);
      const bucket = this.buckets.find((b, i) => value >= b.key && value < (this.buckets[i + 1]?.key ?? b.key + this.interval.ms));
      if (!bucket || !bucket.doc_count) return;
      const end = this.buckets[this.buckets.indexOf(bucket) + 1]?.key ?? bucket.key + this.interval.ms;
      this.onZoom(new Date(bucket.key).toISOString(), new Date(end - 1).toISOString());
    });
    this.resize = () => this.chart?.resize();
    window.addEventListener("resize", this.resize);
  }

  // Dragging selects a time range (no toolbox button to press first).
  armBrush() {
    this.chart.dispatchAction({ type: "takeGlobalCursor", key: "brush", brushOption: { brushType: "lineX", brushMode: "single" } });
  }

  destroy() {
    if (this.resize) window.removeEventListener("resize", this.resize);
    this.chart?.dispose();
    this.chart = null;
  }
}
