// Index patterns: list, create (title with wildcards, time field from its date fields),
// set the default, see the fields, delete.
// CONTRACT (issue 18): implemented by the "searchbar" helper.

export function showPatterns(_root, _args, _params) {
  throw new Error("CONTRACT: index patterns page is not built yet");
}
