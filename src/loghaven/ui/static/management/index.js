// Dashboards management: index patterns and saved objects (import, export, delete).

import { $ } from "../lib.js";
import { showObjects } from "./objects.js";
import { showPatterns } from "./patterns.js";

export function showManagement([page = "patterns", ...rest], params) {
  for (const link of document.querySelectorAll("#management-nav a")) link.classList.toggle("active", link.dataset.page === page);
  const root = $("#management-page");
  if (page === "objects") showObjects(root, rest, params);
  else showPatterns(root, rest, params);
}
