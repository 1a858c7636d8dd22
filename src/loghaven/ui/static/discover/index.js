// Discover: search one index pattern over a time range, see hits over time and documents.
// CONTRACT (issue 18): implemented by the "discover" helper.

export function showDiscover(_args, _params) {
  throw new Error("CONTRACT: Discover is not built yet");
}
