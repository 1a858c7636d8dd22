// Operations: node health and the figures of _nodes/stats, as charts over time.
// CONTRACT (issue 18): implemented by the "indices" helper.

export function showOperations(_args, _params) {
  throw new Error("CONTRACT: operations page is not built yet");
}
