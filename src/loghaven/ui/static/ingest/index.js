// The Ingest section: delivery streams (Firehose's API at POST /) and Splunk HEC tokens. Every
// page calls the server's API itself with the session cookie; what a user may not do is
// refused there, and the page shows the server's reason.

import { showSection } from "../widgets.js";
import { renderHecTokens } from "./hec.js";
import { renderStreams } from "./streams.js";

// #ingest/<streams|hec>/<args...>
export function showIngest(route) {
  return showSection("ingest", { streams: renderStreams, hec: renderHecTokens }, route);
}
