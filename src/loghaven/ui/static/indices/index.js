// Index management: indices (docs, size, tier, health), templates, and, as their APIs land
// (issue 19), lifecycle policies, migration between tiers and snapshots.
// CONTRACT (issue 18): implemented by the "indices" helper.

export function showIndices(_args, _params) {
  throw new Error("CONTRACT: index management is not built yet");
}
