// Ingest → Delivery streams, through Firehose's own API at POST / (JSON 1.1, the same calls
// boto3's firehose client makes): the list with each stream's buffer and counters, a stream's
// configuration and metrics (refreshed every 5 seconds), the create form for a stream into an
// index, and deletion. The server never returns a stream's secrets (a Splunk HEC token).

import { call, h } from "../lib.js";
import { attempt, badge, bars, enc, field, formatBytes, notice, page, shown, table } from "../widgets.js";
import { clipped, when } from "../alerting/format.js";

const TARGET = "Firehose_20150804.";
const DESTINATIONS = ["AmazonopensearchserviceDestinationDescription", "ElasticsearchDestinationDescription",
  "SplunkDestinationDescription"];
const ROTATIONS = { NoRotation: "no rotation", OneHour: "hourly", OneDay: "daily", OneWeek: "weekly", OneMonth: "monthly" };
const BACKUP_MODES = { FailedDocumentsOnly: "failed documents only", AllDocuments: "all documents",
  FailedEventsOnly: "failed events only", AllEvents: "all events" };
// Firehose requires IAM roles in the request; Loghaven ignores them (it runs as the creator).
const ROLE_ARN = "arn:aws:iam::000000000000:role/loghaven-ui";
const REFRESH_MS = 5000;

// One Firehose operation; a refusal throws with its message (JSON 1.1's {"__type", "message"}).
export function firehose(operation, body = {}) {
  return call("POST", "/", body, { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + operation });
}

// #ingest/streams, #ingest/streams/new, #ingest/streams/view/<name>
export async function renderStreams(container, [mode, name]) {
  await shown(container, async () => {
    if (mode === "new") await renderForm(container);
    else if (mode === "view") await renderStream(container, name);
    else await renderList(container);
  });
}

// Runs `load` every few seconds while the page that started it is shown (one page at a time).
let timer = null;
function everyFewSeconds(status, load) {
  clearInterval(timer);
  const route = location.hash;
  timer = setInterval(() => {
    if (location.hash !== route || !status.isConnected) clearInterval(timer);
    else attempt(status, load);
  }, REFRESH_MS);
}

// A duration in milliseconds as "850 ms", "42 s", "3 min", "2 h".
function age(ms) {
  if (!ms) return h("span", { class: "muted" }, "—");
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  return seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
}

const count = (n) => Number(n || 0).toLocaleString("en");

function destinationOf(description) {
  const destination = description.Destinations?.[0] || {};
  const key = DESTINATIONS.find((k) => destination[k]);
  return { key, ...(destination[key] || {}) };
}

// Where a stream delivers: an index and its rotation, or a Splunk HEC endpoint.
function destinationText(destination) {
  if (destination.key === "SplunkDestinationDescription") {
    return h("span", {}, "Splunk ", h("code", {}, destination.HECEndpoint), h("span", { class: "muted" }, ` (${destination.HECEndpointType})`));
  }
  return h("span", {}, "index ", h("strong", {}, destination.IndexName),
    h("span", { class: "muted" }, `, ${ROTATIONS[destination.IndexRotationPeriod] || destination.IndexRotationPeriod}`));
}

// Each stream's description; one deleted meanwhile is left out.
async function descriptions() {
  const names = [];
  let answer = { HasMoreDeliveryStreams: true };
  while (answer.HasMoreDeliveryStreams) {
    const after = names.length ? { ExclusiveStartDeliveryStreamName: names[names.length - 1] } : {};
    answer = await firehose("ListDeliveryStreams", { Limit: 10000, ...after });
    names.push(...answer.DeliveryStreamNames);
  }
  const found = await Promise.all(names.map((name) => firehose("DescribeDeliveryStream", { DeliveryStreamName: name })
    .then((a) => a.DeliveryStreamDescription, (error) => {
      if (error.body?.__type === "ResourceNotFoundException") return null;
      throw error;
    })));
  return found.filter(Boolean);
}

function statusBadge(description) {
  const metrics = description.LoghavenMetrics || {};
  const active = description.DeliveryStreamStatus === "ACTIVE";
  return [badge(description.DeliveryStreamStatus, active ? "on" : "off"),
    metrics.last_error ? h("span", { class: "tag failed", title: metrics.last_error }, "errors") : null];
}

function deleteButton(status, name, after) {
  return h("button", { type: "button", class: "danger small delete", onclick: () => attempt(status, async () => {
    if (!confirm(`Delete the delivery stream ${name}? Records still buffered are dropped with it.`)) return;
    await firehose("DeleteDeliveryStream", { DeliveryStreamName: name });
    await after();
  }) }, "Delete");
}

async function renderList(container) {
  const status = h("div", { class: "status", id: "streams-status" });
  const listing = h("div", { id: "streams-list" });
  const load = async () => {
    const rows = (await descriptions()).map((d) => {
      const m = d.LoghavenMetrics || {};
      const view = `#ingest/streams/view/${enc(d.DeliveryStreamName)}`;
      return h("tr", { "data-stream": d.DeliveryStreamName },
        h("td", {}, h("a", { href: view }, h("strong", {}, d.DeliveryStreamName))),
        h("td", { class: "state" }, statusBadge(d)),
        h("td", { class: "destination" }, destinationText(destinationOf(d))),
        h("td", { class: "num buffered" }, count(m.buffered_records)),
        h("td", { class: "num oldest" }, age(m.oldest_buffered_record_age_millis)),
        h("td", { class: "num delivered" }, count(m.delivered_records)),
        h("td", { class: "num failed" }, count(m.failed_records)),
        h("td", { class: "num backed-up" }, count(m.backed_up_records)),
        h("td", { class: "actions" }, h("a", { href: view, class: "button secondary small" }, "Details"),
          deleteButton(status, d.DeliveryStreamName, load)));
    });
    listing.replaceChildren(table(["Name", "Status", "Destination", "Buffered", "Oldest record", "Delivered", "Failed", "Backed up", ""],
      rows, "No delivery streams yet: create one here, or with boto3's firehose client pointed at this node."));
  };
  await load();  // a refusal (e.g. 403) replaces the page with its reason
  page(container,
    h("div", { class: "toolbar" }, h("p", { class: "hint" }, "Streams buffer what producers put (Firehose's PutRecord and PutRecordBatch at this node's URL) and deliver it to an index or to Splunk. Counters since the node started; refreshed every 5 seconds."),
      h("a", { href: "#ingest/streams/new", class: "button", id: "create-stream" }, "Create delivery stream")),
    status, listing);
  everyFewSeconds(status, load);
}

// -- one stream ------------------------------------------------------------------------------

const bucketOf = (arn) => (arn || "").split(":::")[1] || arn;

// What a stream does to records before delivery, in Firehose's processor order.
function processing(configuration) {
  const processors = configuration?.Enabled ? configuration.Processors || [] : [];
  if (!processors.length) return h("span", { class: "muted" }, "none");
  return h("ul", { class: "plain" }, processors.map((p) => {
    const parameters = Object.fromEntries((p.Parameters || []).map((x) => [x.ParameterName, x.ParameterValue]));
    if (p.Type === "Lambda") {
      const target = parameters.LambdaArn || "";
      return h("li", {}, target.startsWith("pipeline:") ? ["ingest pipeline ", h("code", {}, target.slice(9))] : ["function ", h("code", {}, target)]);
    }
    if (p.Type === "Decompression") return h("li", {}, `decompress (${parameters.CompressionFormat || "GZIP"})`);
    if (p.Type === "CloudWatchLogProcessing") return h("li", {}, "extract CloudWatch Logs messages");
    if (p.Type === "AppendDelimiterToRecord") return h("li", {}, "append a delimiter to each record");
    return h("li", {}, p.Type);
  }));
}

function facts(rows) {
  return h("dl", { class: "facts" }, rows.filter(Boolean).map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

function configuration(description) {
  const d = destinationOf(description);
  const s3 = d.S3DestinationDescription || {};
  const splunk = d.key === "SplunkDestinationDescription";
  const where = `s3://${bucketOf(s3.BucketARN)}/`;
  return facts([
    ["ARN", h("code", {}, description.DeliveryStreamARN)],
    ["Created", when(description.CreateTimestamp * 1000)],
    ["Source", "direct put (PutRecord, PutRecordBatch)"],
    ["Destination", destinationText(d)],
    splunk ? ["Acknowledgement timeout", `${d.HECAcknowledgmentTimeoutInSeconds} s`] : null,
    ["Buffering", `${d.BufferingHints?.SizeInMBs} MB or ${d.BufferingHints?.IntervalInSeconds} s, whichever comes first`],
    ["Transformation", processing(d.ProcessingConfiguration)],
    ["Retries", `for ${d.RetryOptions?.DurationInSeconds} s`],
    ["Backup", `${BACKUP_MODES[d.S3BackupMode] || d.S3BackupMode} (${s3.CompressionFormat})`],
    ["Records backed up", h("code", {}, `${where}${s3.Prefix || ""}`)],
    ["Failed records", h("code", {}, where + (s3.ErrorOutputPrefix || `${s3.Prefix || ""}<error output type>/yyyy/MM/dd/HH/`))],
  ]);
}

function metrics(description) {
  const m = description.LoghavenMetrics || {};
  return [
    h("div", { class: "chart-box" }, h("h3", {}, "Records since the node started"),
      h("div", { class: "bar-chart", id: "stream-chart", "aria-label": "the stream's record counters" }, bars([
        ["incoming", m.incoming_records], ["delivered", m.delivered_records], ["transformed", m.transformed_records],
        ["dropped", m.dropped_records], ["processing failed", m.processing_failed_records], ["failed", m.failed_records],
        ["backed up", m.backed_up_records], ["retries", m.retries], ["rejected", m.rejected_records],
      ].map(([label, n]) => [label, n || 0])))),
    facts([
      ["Buffered", h("span", { id: "stream-buffered" }, `${count(m.buffered_records)} records (${formatBytes(m.buffered_bytes || 0)})`)],
      ["Oldest buffered record", h("span", { id: "stream-oldest" }, age(m.oldest_buffered_record_age_millis))],
      ["Bytes", `${formatBytes(m.incoming_bytes || 0)} in, ${formatBytes(m.delivered_bytes || 0)} delivered`],
      ["Last delivery", when(m.last_delivery_millis)],
      ["Backup failures", count(m.backup_failures)],
    ]),
    m.last_error ? notice(h("span", { id: "stream-last-error" }, "The latest failure (", when(m.last_error_millis), "): ", clipped(m.last_error, 400),
      ". Records that could not be delivered (after the retry duration) or transformed are kept under the failed records prefix below; once the destination or the transformation is fixed, new records flow again.")) : null,
  ];
}

// How a producer sends records here: boto3 with this node as its endpoint.
function example(name) {
  return h("details", { class: "example" }, h("summary", {}, "Send records with boto3"),
    h("pre", { class: "json", id: "stream-example" }, [
      "import boto3, json",
      "",
      `firehose = boto3.client("firehose", endpoint_url="${location.origin}", region_name="us-east-1",`,
      "                        aws_access_key_id=\"<access key>\", aws_secret_access_key=\"<secret>\")",
      `firehose.put_record_batch(DeliveryStreamName=${JSON.stringify(name)}, Records=[`,
      "    {\"Data\": json.dumps({\"message\": \"hello\"}).encode() + b\"\\n\"}])",
    ].join("\n")));
}

async function renderStream(container, name) {
  const status = h("div", { class: "status", id: "stream-status" });
  const config = h("div", { id: "stream-config" });
  const live = h("div", { id: "stream-metrics" });
  const load = async () => {
    const { DeliveryStreamDescription: d } = await firehose("DescribeDeliveryStream", { DeliveryStreamName: name });
    config.replaceChildren(configuration(d));
    live.replaceChildren(...metrics(d).filter(Boolean));
    return d;
  };
  const described = await load();
  page(container,
    h("div", { class: "toolbar" }, h("h3", {}, "Delivery stream ", h("span", { id: "stream-title" }, name), " ", statusBadge(described)),
      h("a", { href: "#ingest/streams", class: "button secondary small" }, "All streams"),
      deleteButton(status, name, async () => { location.hash = "#ingest/streams"; })),
    status,
    h("div", { class: "form wide" }, h("h3", {}, "Metrics"), h("p", { class: "hint" }, "Refreshed every 5 seconds."), live),
    h("div", { class: "form wide" }, h("h3", {}, "Configuration"), config, example(name)));
  everyFewSeconds(status, load);
}

// -- create ----------------------------------------------------------------------------------

const input = (name, attrs = {}) => h("input", { name, id: `stream-${name}`, ...attrs });
const choice = (name, options, value) => h("select", { name, id: `stream-${name}` },
  Object.entries(options).map(([v, label]) => h("option", { value: v, selected: v === value }, label)));

// The node's ingest pipelines (none, or not readable: an empty list).
async function pipelines() {
  try { return Object.keys(await call("GET", "/_ingest/pipeline")).sort(); } catch { return []; }
}

function integer(control, label) {
  const text = control.value.trim();
  if (text === "") return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${label} must be a whole number.`);
  return Number(text);
}

async function renderForm(container) {
  const ids = await pipelines();
  const status = h("div", { class: "status", id: "stream-form-status" });
  const c = {
    name: input("name", { required: true, placeholder: "waf-logs", pattern: "[a-zA-Z0-9_.\\-]+", maxlength: 64 }),
    index: input("index", { required: true, placeholder: "awswaf" }),
    rotation: choice("rotation", ROTATIONS, "OneDay"),
    size: input("size", { type: "number", min: 1, max: 100, value: "5" }),
    interval: input("interval", { type: "number", min: 0, max: 900, value: "300" }),
    retry: input("retry", { type: "number", min: 0, max: 7200, value: "300" }),
    transform: choice("transform", { none: "none", pipeline: "an ingest pipeline of this node", function: "an HTTP(S) function (Firehose's Lambda contract)" }, "none"),
    pipeline: h("select", { name: "pipeline", id: "stream-pipeline" }, ids.map((id) => h("option", { value: id }, id))),
    function: input("function", { type: "url", placeholder: "https://transform.example.com/firehose" }),
    backupMode: choice("backup-mode", { FailedDocumentsOnly: BACKUP_MODES.FailedDocumentsOnly, AllDocuments: BACKUP_MODES.AllDocuments }, "FailedDocumentsOnly"),
    bucket: input("bucket", { required: true, value: "firehose-backup" }),
    prefix: input("prefix", { placeholder: "waf/" }),
    errorPrefix: input("error-prefix", { placeholder: "errors/!{firehose:error-output-type}/" }),
  };
  const pipelineField = field("Ingest pipeline", c.pipeline, ids.length ? "Runs on each record's JSON: a dropped document drops the record, a failure backs it up."
    : "This node has no ingest pipelines yet: create one with PUT _ingest/pipeline/<id> (Dev Tools), then come back.");
  const functionField = field("Function URL", c.function, "Gets {records: [{recordId, data (base64)}]} and answers each with result Ok, Dropped or ProcessingFailed.");
  const retransform = () => { pipelineField.hidden = c.transform.value !== "pipeline"; functionField.hidden = c.transform.value !== "function"; };
  c.transform.addEventListener("change", retransform);
  retransform();

  const request = () => {
    const name = c.name.value.trim(), index = c.index.value.trim(), bucket = c.bucket.value.trim();
    if (!name) throw new Error("Enter the stream's name (letters, digits, '_', '.' or '-').");
    if (!index) throw new Error("Enter the index the stream delivers to.");
    if (!bucket) throw new Error("Enter the bucket that backups go to (a folder of this node unless object_store.type is s3).");
    const destination = {
      RoleARN: ROLE_ARN, IndexName: index, IndexRotationPeriod: c.rotation.value,
      BufferingHints: { SizeInMBs: integer(c.size, "The buffer size"), IntervalInSeconds: integer(c.interval, "The buffer interval") },
      RetryOptions: { DurationInSeconds: integer(c.retry, "The retry duration") },
      S3BackupMode: c.backupMode.value,
      S3Configuration: { RoleARN: ROLE_ARN, BucketARN: `arn:aws:s3:::${bucket}`,
        ...(c.prefix.value.trim() ? { Prefix: c.prefix.value.trim() } : {}),
        ...(c.errorPrefix.value.trim() ? { ErrorOutputPrefix: c.errorPrefix.value.trim() } : {}) },
    };
    const target = c.transform.value === "pipeline" ? (c.pipeline.value ? `pipeline:${c.pipeline.value}` : null)
      : c.transform.value === "function" ? c.function.value.trim() : undefined;
    if (target === null) throw new Error("Choose an ingest pipeline (or no transformation).");
    if (target === "") throw new Error("Enter the function's http(s) URL (or choose no transformation).");
    if (target) {
      destination.ProcessingConfiguration = { Enabled: true, Processors: [{ Type: "Lambda",
        Parameters: [{ ParameterName: "LambdaArn", ParameterValue: target }] }] };
    }
    return { DeliveryStreamName: name, DeliveryStreamType: "DirectPut", AmazonopensearchserviceDestinationConfiguration: destination };
  };
  const save = () => attempt(status, async () => {
    const body = request();
    await firehose("CreateDeliveryStream", body);
    location.hash = `#ingest/streams/view/${enc(body.DeliveryStreamName)}`;
  });
  page(container,
    h("form", { class: "form", id: "stream-form", onsubmit: (e) => { e.preventDefault(); save(); } },
      h("h3", {}, "Create a delivery stream into an index"),
      h("p", { class: "hint" }, "As CreateDeliveryStream with an OpenSearch destination; for Splunk destinations, compression or CloudWatch Logs payloads use boto3 or the AWS CLI."),
      field("Name", c.name, "Producers name it in PutRecord and PutRecordBatch."),
      field("Index", c.index),
      field("Index rotation", c.rotation, "A suffix by the time records arrive: awswaf-2026-11-26 with daily rotation."),
      h("div", { class: "field" }, h("span", { class: "label" }, "Buffer"),
        h("div", { class: "row" }, "deliver every", c.size, "MB or", c.interval, "seconds, whichever comes first")),
      field("Retry duration (seconds)", c.retry, "How long a failed delivery is retried before its records are backed up."),
      field("Transformation", c.transform),
      pipelineField, functionField,
      field("Backup", c.backupMode, "Records that could not be delivered are always kept; all documents keeps a copy of every record too."),
      field("Bucket", c.bucket),
      field("Prefix (optional)", c.prefix, "Firehose's prefix: yyyy/MM/dd/HH/ is added unless it has a !{timestamp:...} expression."),
      field("Error output prefix (optional)", c.errorPrefix, "Where failed records go; needed (with !{firehose:error-output-type}) when the prefix has expressions. Default: <prefix><error output type>/yyyy/MM/dd/HH/."),
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "save-stream" }, "Create"),
        h("a", { href: "#ingest/streams", class: "button secondary" }, "Cancel")),
      status));
}
