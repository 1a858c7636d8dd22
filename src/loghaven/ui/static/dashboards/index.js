// Dashboards: list, view and edit grids of saved visualizations and searches.
// CONTRACT (issue 18): implemented by the "dashboards" helper.

export function showDashboards(_args, _params) {
  throw new Error("CONTRACT: Dashboards are not built yet");
}
