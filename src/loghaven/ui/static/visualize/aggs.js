// A visState's aggregations (OpenSearch Dashboards' agg configs: {id, type, schema, params})
// as the request body /_search takes, and the response's buckets as chart series.
// CONTRACT (issue 18): implemented by the "visualize" helper.

// The /_search body for this visState over `query` (an ES query, search/query.js).
export function searchBody(_visState, _query, _pattern) {
  throw new Error("CONTRACT");
}
