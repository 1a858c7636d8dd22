// The Alerting and Notifications sections, as OpenSearch Dashboards' plugins offer them:
// alerts, monitors and channels. Every page calls the plugins' REST API itself
// (_plugins/_alerting/..., _plugins/_notifications/...) with the session cookie; what a user
// may not do is refused there, and the page shows the server's reason.

import { showSection } from "../widgets.js";
import { renderAlerts } from "./alerts.js";
import { renderChannels } from "./channels.js";
import { renderMonitors } from "./monitors.js";

// #alerting/<alerts|monitors>/<args...>
export function showAlerting(route) {
  return showSection("alerting", { alerts: renderAlerts, monitors: renderMonitors }, route);
}

// #notifications/channels/<args...>
export function showNotifications(route) {
  return showSection("notifications", { channels: renderChannels }, route);
}
