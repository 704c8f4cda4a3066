#!/usr/bin/env node
// Shopify's own webhook validation (@shopify/shopify-api's
// webhooks.validate, the code apps run on every delivery) against real
// deliveries from mock-shopify: the script listens on 127.0.0.1, subscribes
// to orders/create and orders/paid through GraphQL webhookSubscriptionCreate,
// buys something through the mock's checkout, and validates each signed
// delivery as it arrives with the shop's app secret. The negative controls
// replay a captured delivery with one byte of the body changed, and with
// another secret: the library must refuse both. The package comes from
// tests/tools/node_modules (scripts/deps.sh --test); nothing is downloaded.
// It prints one line per step and "ok"; a mismatch exits 1, a missing
// package 3.
//
//   node tests/clients/shopify_webhooks.mjs --url http://127.0.0.1:8081 \
//        --token shpat_demo --secret demo-secret [--version 2026-10]

import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { parseArgs, trimSlash } from './cli.mjs';

const { opts } = parseArgs('shopify_webhooks',
  'node shopify_webhooks.mjs --url URL --token TOKEN --secret SECRET [--version V]',
  { '--url': { key: 'url', convert: trimSlash }, '--token': { key: 'token' },
    '--secret': { key: 'secret' }, '--version': { key: 'version' } },
  { version: '2026-10' }, ['url', 'token', 'secret']);

const tools = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'node_modules');
const lib = path.join(tools, '@shopify', 'shopify-api', 'dist', 'esm', 'lib', 'index.mjs');
const adapter = path.join(tools, '@shopify', 'shopify-api', 'dist', 'esm', 'adapters', 'node', 'index.mjs');
if (!existsSync(lib) || !existsSync(adapter)) {
  console.error(`shopify_webhooks: @shopify/shopify-api is not installed in ${tools}; run scripts/deps.sh --test`);
  process.exit(3);
}
await import(pathToFileURL(adapter).href);
const { shopifyApi, ApiVersion, LogSeverity } = await import(pathToFileURL(lib).href);

function check(cond, what) {
  if (!cond) {
    console.error(`shopify_webhooks: FAILED: ${what}`);
    process.exit(1);
  }
}

const api = (secret) => shopifyApi({
  apiKey: 'surge-test', apiSecretKey: secret, apiVersion: ApiVersion.July26,
  hostName: '127.0.0.1', isEmbeddedApp: false, logger: { level: LogSeverity.Error, log: () => {} } });
const shopify = api(opts.secret);

// ---- a receiver that validates as it receives -------------------------------

const received = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const result = await shopify.webhooks.validate({ rawBody, rawRequest: req, rawResponse: res });
    received.push({ headers: req.headers, rawBody, result });
    res.writeHead(result.valid ? 200 : 401);
    res.end();
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const hook = `http://127.0.0.1:${server.address().port}/hooks`;

// ---- subscribe and buy ------------------------------------------------------------

async function gql(query, variables) {
  const r = await fetch(`${opts.url}/admin/api/${opts.version}/graphql.json`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': opts.token },
    body: JSON.stringify({ query, variables }) });
  return r.json();
}
for (const topic of ['ORDERS_CREATE', 'ORDERS_PAID']) {
  const g = await gql(`mutation S($t: WebhookSubscriptionTopic!, $s: WebhookSubscriptionInput!) {
    webhookSubscriptionCreate(topic: $t, webhookSubscription: $s) { webhookSubscription { id } userErrors { message } } }`,
  { t: topic, s: { uri: hook, format: 'JSON' } });
  check(g.data?.webhookSubscriptionCreate?.webhookSubscription?.id, `subscribe ${topic}: ${JSON.stringify(g)}`);
}
console.log(`subscribed ORDERS_CREATE and ORDERS_PAID to ${hook}`);
const buy = await fetch(`${opts.url}/_mock/checkout`, { method: 'POST',
  body: JSON.stringify({ lines: [{ sku: 'DEMO-002', qty: 1 }] }) });
const order = await buy.json();
check(order.result === 'accepted', `checkout: ${JSON.stringify(order)}`);

const deadline = Date.now() + 20000;
while (received.length < 2 && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 20));
check(received.length >= 2, `2 deliveries within 20 s, got ${received.length}`);
const topics = new Set();
for (const d of received) {
  check(d.result.valid === true, `Shopify's validate accepts the delivery: ${JSON.stringify(d.result)}`);
  check(d.result.domain === 'demo.myshopify.com', `domain ${d.result.domain}`);
  check(d.result.apiVersion === opts.version, `api version ${d.result.apiVersion}`);
  check(d.result.webhookId, 'a webhook id');
  check(JSON.parse(d.rawBody).id === order.order_id, 'the payload is the order');
  topics.add(d.result.topic);
}
check(topics.has('ORDERS_CREATE') && topics.has('ORDERS_PAID'), `topics ${[...topics].join(',')}`);
console.log(`validated: ${received.length} deliveries (${[...topics].sort().join(', ')}) accepted by shopify-api`);

// ---- negative controls: a changed body, another secret ----------------------------

async function replay(d, body, validator) {
  const headers = { ...d.headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve) => {
    const s2 = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const r = await validator.webhooks.validate({ rawBody: Buffer.concat(chunks).toString('utf8'),
                                                      rawRequest: req, rawResponse: res });
        res.end();
        s2.close();
        resolve(r);
      });
    });
    s2.listen(0, '127.0.0.1', () => {
      const req = http.request({ host: '127.0.0.1', port: s2.address().port, method: 'POST', path: '/', headers });
      req.end(body);
    });
  });
}
const first = received[0];
const tampered = first.rawBody.replace(/"quantity":1/, '"quantity":2');
check(tampered !== first.rawBody, 'the body could be changed');
let r = await replay(first, tampered, shopify);
check(r.valid === false, `a changed body is refused, got ${JSON.stringify(r)}`);
r = await replay(first, first.rawBody, api('another-secret'));
check(r.valid === false, `another secret is refused, got ${JSON.stringify(r)}`);
r = await replay(first, first.rawBody, shopify);
check(r.valid === true, `the same delivery replayed as is still validates, got ${JSON.stringify(r)}`);
console.log('refused: a changed body, another secret; the delivery replayed as captured accepted');
server.close();
console.log('ok');
