// Draw a saved visualization (OpenSearch Dashboards' visState: type, params, aggs) with
// ECharts, over a search state (context = {state: {query, filters, time}}) combined with the
// visualization's own searchSourceJSON. Used by Visualize and by dashboard panels.
// CONTRACT (issue 18): implemented by the "visualize" helper.

// Render into `container`; answers {update(context), destroy()}. Errors (a missing index
// pattern, a refused search) are shown in the container, not thrown.
export async function renderVisualization(_container, _visualization, _context) {
  throw new Error("CONTRACT: visualizations are not rendered yet");
}
