// Drives @opensearch-project/opensearch against a Loghaven server for tests/test_node_clients.py.
// Usage: node opensearch_client.js <url> <index> <bulk|search>; prints one JSON object.
'use strict'

const { Client } = require('@opensearch-project/opensearch')

async function bulk (client, index) {
  await client.indices.create({
    index,
    body: { mappings: { properties: { service: { type: 'keyword' }, status: { type: 'integer' } } } }
  })
  const docs = Array.from({ length: 200 }, (_, i) => ({
    message: `GET /item/${i}`, service: i % 2 ? 'web' : 'api', status: 200 + (i % 3)
  }))
  const stats = await client.helpers.bulk({
    datasource: docs,
    onDocument () { return { index: { _index: index } } },
    flushBytes: 4000,
    concurrency: 2,
    refreshOnCompletion: index
  })
  const count = await client.cat.count({ index, format: 'json' })
  const single = await client.index({ index, id: 'one', body: { service: 'db' }, refresh: true })
  return { stats, count: count.body[0].count, single: single.body.result }
}

async function search (client, index) {
  const response = await client.search({
    index, body: { query: { term: { service: 'web' } }, size: 5 }
  })
  const scrolled = []
  for await (const doc of client.helpers.scrollDocuments({ index, size: 30, body: { query: { match_all: {} } } })) {
    scrolled.push(doc)
  }
  return { total: response.body.hits.total.value, hits: response.body.hits.hits.length, scrolled: scrolled.length }
}

async function main () {
  const [url, index, mode] = process.argv.slice(2)
  const client = new Client({ node: url, compression: 'gzip' })
  const result = mode === 'bulk' ? await bulk(client, index) : await search(client, index)
  process.stdout.write(JSON.stringify(result))
}

main().catch(error => {
  process.stderr.write(String(error.stack || error) + '\n' + JSON.stringify(error.meta && error.meta.body) + '\n')
  process.exit(1)
})
