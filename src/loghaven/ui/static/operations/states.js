// What a tab shows instead of its data: an empty state that says what to do next, and the
// state of an API this server does not have (a 404 for the route itself, not for an object).

import { ApiError, h } from "../lib.js";

// An empty state: a sentence, then what to do next (text or elements).
export function emptyState(id, message, ...next) {
  return h("div", { class: "empty-list", id, role: "status" }, h("p", {}, message),
    next.length ? h("p", { class: "muted" }, next) : null);
}

// Whether `error` is the server's answer to a route it does not have (400 "no handler found
// for uri …", as OpenSearch answers), as opposed to a refusal or a missing object.
export function noSuchApi(error) {
  return error instanceof ApiError && error.status === 400 && /no handler found for uri/.test(error.message);
}
