// Saved objects: list, import (NDJSON or Kibana 6 export.json, with the index pattern remap
// step), export, delete.
// CONTRACT (issue 18): implemented by the "dashboards" helper.

export function showObjects(_root, _args, _params) {
  throw new Error("CONTRACT: saved objects page is not built yet");
}
