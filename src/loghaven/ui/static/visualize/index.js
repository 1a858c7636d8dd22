// Visualize: list, create and edit visualizations (index pattern + aggregations + chart).
// CONTRACT (issue 18): implemented by the "visualize" helper.

export function showVisualize(_args, _params) {
  throw new Error("CONTRACT: Visualize is not built yet");
}
