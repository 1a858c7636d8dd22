"use strict";
// The login form: opens a UI session (an HttpOnly cookie) and goes back where the user was.

const form = document.querySelector("#login");
const message = document.querySelector("#message");

function nextUrl() {
  const next = new URLSearchParams(location.search).get("nextUrl") || "";
  // Only a page of this UI: never a redirect to another site.
  return next.startsWith("/_dashboards/") && !next.startsWith("//") ? next : "/_dashboards/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.textContent = "";
  const response = await fetch("/_dashboards/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", "osd-xsrf": "true" },
    body: JSON.stringify({ username: form.username.value, password: form.password.value }),
  });
  if (response.ok) {
    location.assign(nextUrl());
    return;
  }
  let reason = `Login failed (${response.status})`;
  try { reason = (await response.json()).message || reason; } catch { /* not JSON */ }
  message.textContent = reason;
  form.password.value = "";
  form.password.focus();
});
