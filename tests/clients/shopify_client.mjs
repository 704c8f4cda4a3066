#!/usr/bin/env node
// Shopify's own JavaScript client (@shopify/admin-api-client) against
// mock-shopify: if the mock speaks the Admin API well enough for it, an
// engine built against the mock works against Shopify too. The script
// installs the package from npm into a cache folder (once), points the REST
// and GraphQL clients at the mock through customFetchApi, reads products and
// inventory levels, writes inventory both ways, and recovers from a 429.
// It prints one line per step and "ok" at the end; any mismatch exits 1,
// a failed npm install exits 3 with the reason.
//
//   node tests/clients/shopify_client.mjs --url http://127.0.0.1:8081 \
//        --token shpat_demo [--domain demo.myshopify.com] [--version 2026-10]
//        [--time-scale K] [--install-dir DIR]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function usage(msg) {
  console.error(`shopify_client: ${msg}`);
  console.error('usage: node shopify_client.mjs --url URL --token TOKEN [--domain D] [--version V] [--time-scale K] [--install-dir DIR]');
  process.exit(2);
}

const opts = { domain: 'demo.myshopify.com', version: '2026-10', timeScale: 1,
               installDir: path.join(tmpdir(), 'surge-shopify-client') };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]];
  if (value === undefined) usage(`${flag} needs a value`);
  switch (flag) {
    case '--url': opts.url = value.replace(/\/$/, ''); break;
    case '--token': opts.token = value; break;
    case '--domain': opts.domain = value; break;
    case '--version': opts.version = value; break;
    case '--time-scale': opts.timeScale = Number(value); break;
    case '--install-dir': opts.installDir = value; break;
    default: usage(`unknown option ${flag}`);
  }
}
if (!opts.url || !opts.token) usage('--url and --token are required');
if (!(opts.timeScale > 0)) usage('--time-scale must be a positive number');

// ---- the package, installed once into the cache folder -------------------

const PKG = '@shopify/admin-api-client';
const entry = path.join(opts.installDir, 'node_modules', PKG, 'dist', 'index.mjs');
if (!existsSync(entry)) {
  mkdirSync(opts.installDir, { recursive: true });
  console.log(`installing ${PKG} into ${opts.installDir}`);
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix',
                                opts.installDir, `${PKG}@1`],
                        { encoding: 'utf8', timeout: 240000 });
  if (npm.status !== 0 || !existsSync(entry)) {
    const why = (npm.error ? String(npm.error) : `${npm.stderr || ''}${npm.stdout || ''}`).trim();
    console.error(`shopify_client: npm install of ${PKG} failed (is the npm registry reachable?): ` +
                  why.split('\n').slice(-5).join(' | '));
    process.exit(3);
  }
}
const { createAdminApiClient, createAdminRestApiClient } = await import(pathToFileURL(entry).href);

// ---- wiring: every request goes to the mock --------------------------------

let seen429 = 0;
const base = `https://${opts.domain}`;
async function toMock(url, init) {
  const target = String(url).startsWith(base) ? opts.url + String(url).slice(base.length) : url;
  const res = await fetch(target, init);
  if (res.status === 429) seen429++;
  return res;
}
const quiet = () => {}; // the clients log deprecation notices; not ours to judge
const common = { storeDomain: opts.domain, apiVersion: opts.version, accessToken: opts.token,
                 customFetchApi: toMock, logger: quiet };
const rest = createAdminRestApiClient(common);
const gql = createAdminApiClient(common);

function check(cond, what) {
  if (!cond) {
    console.error(`shopify_client: FAILED: ${what}`);
    process.exit(1);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- REST reads ---------------------------------------------------------------

let res = await rest.get('products', { searchParams: { limit: 5 } });
check(res.ok, `GET products answered ${res.status}`);
const products = (await res.json()).products;
check(products.length === 5, `5 products, got ${products.length}`);
const link = res.headers.get('link') || '';
check(/rel="next"/.test(link) && /page_info=/.test(link), `Link header with page_info, got "${link}"`);
check(res.headers.get('x-shopify-shop-api-call-limit'), 'X-Shopify-Shop-Api-Call-Limit header');
console.log(`rest products: ${products.length} (next page linked)`);

res = await rest.get('locations');
const locations = (await res.json()).locations;
check(locations.length >= 1, 'a location');
const locationId = locations[0].id;
const variant = products[0].variants[0];
const itemId = variant.inventory_item_id;
res = await rest.get('inventory_levels', {
  searchParams: { inventory_item_ids: products.map((p) => p.variants[0].inventory_item_id).join(','),
                  location_ids: locationId } });
const levels = (await res.json()).inventory_levels;
check(levels.length === 5, `5 levels, got ${levels.length}`);
console.log(`rest levels: ${levels.length} (${variant.sku} available ${levels[0].available})`);

// ---- GraphQL read and writes -------------------------------------------------

const itemGid = `gid://shopify/InventoryItem/${itemId}`;
const locGid = `gid://shopify/Location/${locationId}`;
let g = await gql.request(
  `query Level($item: ID!, $loc: ID!) {
     inventoryItem(id: $item) { sku inventoryLevel(locationId: $loc) {
       quantities(names: ["available", "committed"]) { name quantity } } } }`,
  { variables: { item: itemGid, loc: locGid } });
check(!g.errors, `GraphQL read errors: ${JSON.stringify(g.errors)}`);
const before = g.data.inventoryItem.inventoryLevel.quantities.find((q) => q.name === 'available').quantity;
check(g.extensions?.cost?.requestedQueryCost > 0, 'extensions.cost on the answer');
console.log(`graphql read: ${g.data.inventoryItem.sku} available=${before} cost=${g.extensions.cost.actualQueryCost}`);

const SET = `mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name quantityAfterChange } }
    userErrors { field message code } } }`;
const input = (quantity, changeFrom) => ({
  name: 'available', reason: 'correction', referenceDocumentUri: 'surge://client-test',
  quantities: [{ inventoryItemId: itemGid, locationId: locGid, quantity, changeFromQuantity: changeFrom }] });
g = await gql.request(SET, { variables: { input: input(57, before), key: `client-${Date.now()}` } });
check(!g.errors && g.data.inventorySetQuantities.userErrors.length === 0,
      `inventorySetQuantities: ${JSON.stringify(g.errors || g.data.inventorySetQuantities.userErrors)}`);
const after = g.data.inventorySetQuantities.inventoryAdjustmentGroup.changes.find((c) => c.name === 'available');
check(after.quantityAfterChange === 57, `available 57 after the write, got ${after.quantityAfterChange}`);
console.log('graphql write: available=57 userErrors=0');

g = await gql.request(SET, { variables: { input: input(10, before), key: `client-stale-${Date.now()}` } });
const stale = g.data?.inventorySetQuantities?.userErrors?.[0]?.code;
check(stale === 'CHANGE_FROM_QUANTITY_STALE', `stale write refused, got ${JSON.stringify(g)}`);
console.log(`graphql stale: ${stale}`);

res = await rest.post('inventory_levels/set',
                      { data: { location_id: locationId, inventory_item_id: itemId, available: 42 } });
check(res.ok, `POST inventory_levels/set answered ${res.status}`);
check((await res.json()).inventory_level.available === 42, 'available 42 after the REST set');
console.log('rest set: available=42');

// ---- a 429 and the way back -------------------------------------------------

// Burst without retries until the bucket refuses, then honour Retry-After
// (simulated seconds: divided by the mock's time scale) and go on.
let calls = 0;
let refused = null;
for (; calls < 400 && !refused; calls++) {
  const r = await rest.get('shop', { retries: 0 });
  if (r.status === 429) refused = r;
  else check(r.ok, `GET shop answered ${r.status}`);
}
check(refused, `no 429 after ${calls} calls`);
const retryAfter = refused.headers.get('retry-after');
check(retryAfter && Number(retryAfter) > 0, `Retry-After on the 429, got "${retryAfter}"`);
const body429 = await refused.json();
check(/Exceeded .* calls per second/.test(body429.errors), `Shopify's 429 body, got ${JSON.stringify(body429)}`);
await sleep((Number(retryAfter) * 1000) / opts.timeScale + 20);
res = await rest.get('shop', { retries: 3 });
check(res.ok, `after Retry-After the call went through (got ${res.status})`);
// The client's own retry (3 tries) carries a burst through as well.
const burst = await Promise.all(Array.from({ length: 10 }, () => rest.get('shop', { retries: 3 })));
const burstOk = burst.filter((r) => r.ok).length;
console.log(`429: after ${calls} calls, Retry-After ${retryAfter}, recovered; burst ${burstOk}/10 ok; 429s seen ${seen429}`);
check(burstOk >= 1, 'the client recovered from 429s');
console.log('ok');
