// Dev Tools: the console. CONTRACT (issue 18): the "devtools" helper moves the console here
// from app.js and index.html and completes it.

export function showConsole(_args, _params) {}
