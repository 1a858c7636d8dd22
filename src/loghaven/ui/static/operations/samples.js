// The node's figures over time: samples of _nodes/stats kept in memory for WINDOW_MS, and the
// rates between consecutive samples (counters divided by the time between them).

export const WINDOW_MS = 10 * 60 * 1000;

const samples = [];

// Keeps `node` (one entry of _nodes/stats) with `health` (_cluster/health); drops samples older
// than the window. A restarted node (counters going down) starts the series again.
export function keep(node, health) {
  const last = samples[samples.length - 1];
  if (last && (node.indices?.indexing?.index_total ?? 0) < (last.node.indices?.indexing?.index_total ?? 0)) samples.length = 0;
  samples.push({ t: node.timestamp, node, health });
  while (samples.length && samples[0].t < node.timestamp - WINDOW_MS) samples.shift();
}

export const all = () => samples;
export const latest = () => samples[samples.length - 1];

const dig = (object, path) => path.split(".").reduce((value, key) => value?.[key], object) ?? 0;

// [[ms, per second]] of a counter at `path` of the node entry.
export function rate(path) {
  return samples.slice(1).map((b, i) => {
    const a = samples[i];
    const seconds = Math.max(0.001, (b.t - a.t) / 1000);
    return [b.t, Math.max(0, dig(b.node, path) - dig(a.node, path)) / seconds];
  });
}

// [[ms, milliseconds per operation]] between samples: Δtime / Δcount (0 when nothing ran).
export function latency(countPath, timePath) {
  return samples.slice(1).map((b, i) => {
    const a = samples[i];
    const done = dig(b.node, countPath) - dig(a.node, countPath);
    return [b.t, done > 0 ? Math.max(0, dig(b.node, timePath) - dig(a.node, timePath)) / done : 0];
  });
}

// [[ms, value]] of a gauge at `path`, scaled by `factor`.
export function gauge(path, factor = 1) {
  return samples.map((s) => [s.t, dig(s.node, path) * factor]);
}

export const peak = (points) => points.reduce((max, [, v]) => Math.max(max, v), 0);
