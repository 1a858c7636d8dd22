// A saved search as a dashboard panel: its columns and sort over the dashboard's search
// state (context = {state: {query, filters, time}}) combined with the search's own.
// CONTRACT (issue 18): implemented by the "discover" helper.

// Render into `container`; answers {update(context), destroy()}.
export async function renderSavedSearch(_container, _search, _context) {
  throw new Error("CONTRACT: saved search panels are not built yet");
}
