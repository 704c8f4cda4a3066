#!/usr/bin/env node
// Shopify's own JavaScript client (@shopify/admin-api-client) against
// mock-shopify: if the mock speaks the Admin API well enough for it, an
// engine built against the mock works against Shopify too. The package comes
// from tests/tools/node_modules (pinned in tests/tools/package-lock.json,
// installed by scripts/deps.sh --test); the script downloads nothing. It
// points the REST and GraphQL clients at the mock through customFetchApi,
// reads products and inventory levels, writes inventory with both GraphQL
// mutations and REST, edits a product and its variant (productUpdate,
// productVariantsBulkUpdate) and reads them back, fulfils an order through its fulfillment orders (a
// hold refusing, then partial, then the rest), asks for an unsupported
// version and checks it fell forward, and recovers from a 429. It prints
// one line per step and "ok" at the end; any mismatch exits 1, a missing
// package exits 3 with the reason.
//
//   node tests/clients/shopify_client.mjs --url http://127.0.0.1:8081 \
//        --token shpat_demo [--domain demo.myshopify.com] [--version 2026-10]
//        [--time-scale K]

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { parseArgs, trimSlash } from './cli.mjs';

const { opts, usage } = parseArgs('shopify_client',
  'node shopify_client.mjs --url URL --token TOKEN [--domain D] [--version V] [--time-scale K]',
  { '--url': { key: 'url', convert: trimSlash }, '--token': { key: 'token' },
    '--domain': { key: 'domain' }, '--version': { key: 'version' },
    '--time-scale': { key: 'timeScale', convert: Number } },
  { domain: 'demo.myshopify.com', version: '2026-10', timeScale: 1 }, ['url', 'token']);
if (!(opts.timeScale > 0)) usage('--time-scale must be a positive number');

// ---- the package, from the pinned test tools --------------------------------

const PKG = '@shopify/admin-api-client';
const tools = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'node_modules');
const entry = path.join(tools, PKG, 'dist', 'index.mjs');
if (!existsSync(entry)) {
  console.error(`shopify_client: ${PKG} is not installed in ${tools}; run scripts/deps.sh --test`);
  process.exit(3);
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

const ADJUST = `mutation Adjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange } }
    userErrors { field message code } } }`;
g = await gql.request(ADJUST, { variables: { key: `client-adj-${Date.now()}`, input: {
  name: 'available', reason: 'received', changes: [{ inventoryItemId: itemGid, locationId: locGid,
                                                     delta: 5, changeFromQuantity: 42 }] } } });
check(!g.errors && g.data.inventoryAdjustQuantities.userErrors.length === 0,
      `inventoryAdjustQuantities: ${JSON.stringify(g.errors || g.data.inventoryAdjustQuantities.userErrors)}`);
const adj = g.data.inventoryAdjustQuantities.inventoryAdjustmentGroup.changes.find((c) => c.name === 'available');
check(adj.quantityAfterChange === 47, `available 47 after the adjust, got ${adj.quantityAfterChange}`);
// From 2026-04 an adjust without changeFromQuantity is refused.
g = await gql.request(ADJUST, { variables: { key: `client-adj2-${Date.now()}`, input: {
  name: 'available', reason: 'received', changes: [{ inventoryItemId: itemGid, locationId: locGid, delta: 1 }] } } });
check(g.errors && /changeFromQuantity/.test(JSON.stringify(g.errors)),
      `adjust without changeFromQuantity refused, got ${JSON.stringify(g)}`);
console.log('graphql adjust: available=47; without changeFromQuantity refused');

// ---- product data: productUpdate and productVariantsBulkUpdate, read back --

const productGid = `gid://shopify/Product/${products[0].id}`;
const variantGid = `gid://shopify/ProductVariant/${variant.id}`;
g = await gql.request(`mutation P($p: ProductUpdateInput!) {
  productUpdate(product: $p) { product { id title status } userErrors { field message } } }`,
  { variables: { p: { id: productGid, title: 'Client title', status: 'DRAFT' } } });
check(!g.errors && g.data.productUpdate.userErrors.length === 0,
      `productUpdate: ${JSON.stringify(g.errors || g.data.productUpdate.userErrors)}`);
g = await gql.request(`mutation V($pid: ID!, $vs: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $pid, variants: $vs) {
    productVariants { id price } userErrors { field message code } } }`,
  { variables: { pid: productGid, vs: [{ id: variantGid, price: '12.34', compareAtPrice: '15.00',
    inventoryItem: { cost: '4.50', measurement: { weight: { value: 0.5, unit: 'KILOGRAMS' } } } }] } });
check(!g.errors && g.data.productVariantsBulkUpdate.userErrors.length === 0,
      `productVariantsBulkUpdate: ${JSON.stringify(g.errors || g.data.productVariantsBulkUpdate.userErrors)}`);
g = await gql.request(`query R($id: ID!) { product(id: $id) { title status variants(first: 1) { nodes {
  price compareAtPrice inventoryItem { unitCost { amount } measurement { weight { value unit } } } } } } }`,
  { variables: { id: productGid } });
const pv = g.data?.product?.variants?.nodes?.[0];
check(!g.errors && g.data.product.title === 'Client title' && g.data.product.status === 'DRAFT' &&
      pv.price === '12.34' && pv.compareAtPrice === '15.00' && pv.inventoryItem.unitCost.amount === '4.50' &&
      pv.inventoryItem.measurement.weight.unit === 'KILOGRAMS',
      `product read back: ${JSON.stringify(g.errors || g.data)}`);
console.log(`graphql product: title=${g.data.product.title} status=${g.data.product.status} price=${pv.price}`);
// Back on sale: a DRAFT product does not sell, and the checkouts below buy it.
g = await gql.request(`mutation P($p: ProductUpdateInput!) {
  productUpdate(product: $p) { product { status } userErrors { field message } } }`,
  { variables: { p: { id: productGid, status: 'ACTIVE' } } });
check(!g.errors && g.data.productUpdate.product.status === 'ACTIVE',
      `productUpdate back to ACTIVE: ${JSON.stringify(g.errors || g.data)}`);

// ---- fulfilment through fulfillment orders ------------------------------------

// A shopper buys 3 of the first product (the mock's control API).
let buy = await fetch(`${opts.url}/_mock/checkout`, { method: 'POST',
  body: JSON.stringify({ lines: [{ sku: variant.sku, qty: 3 }] }) });
const order = await buy.json();
check(order.result === 'accepted', `checkout accepted, got ${JSON.stringify(order)}`);
const FOS = `query FOs($id: ID!) { order(id: $id) { displayFulfillmentStatus
  fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 5) { nodes { id remainingQuantity } } } } } }`;
g = await gql.request(FOS, { variables: { id: order.admin_graphql_api_id } });
check(!g.errors, `fulfillmentOrders: ${JSON.stringify(g.errors)}`);
const fo = g.data.order.fulfillmentOrders.nodes[0];
check(fo && fo.status === 'OPEN' && fo.lineItems.nodes[0].remainingQuantity === 3, `an open fulfillment order of 3, got ${JSON.stringify(fo)}`);
const foLine = fo.lineItems.nodes[0].id;
g = await gql.request(`mutation Hold($id: ID!) { fulfillmentOrderHold(id: $id,
    fulfillmentHold: { reason: INVENTORY_OUT_OF_STOCK, reasonNotes: "awaiting stock" }) {
    fulfillmentHold { id } fulfillmentOrder { status } userErrors { field message } } }`, { variables: { id: fo.id } });
check(g.data?.fulfillmentOrderHold?.fulfillmentOrder?.status === 'ON_HOLD', `hold: ${JSON.stringify(g)}`);
const holdId = g.data.fulfillmentOrderHold.fulfillmentHold.id;
const CREATE = `mutation Create($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id status trackingInfo { number company } } userErrors { field message } } }`;
const fInput = (qty) => ({ notifyCustomer: false, trackingInfo: { number: '1Z-CLIENT', company: 'UPS' },
  lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: fo.id,
    fulfillmentOrderLineItems: qty ? [{ id: foLine, quantity: qty }] : undefined }] });
g = await gql.request(CREATE, { variables: { f: fInput(1) } });
check(g.data?.fulfillmentCreate?.fulfillment === null && g.data.fulfillmentCreate.userErrors.length === 1,
      `a held fulfillment order refuses fulfilment, got ${JSON.stringify(g)}`);
g = await gql.request(`mutation Release($id: ID!, $holds: [ID!]) { fulfillmentOrderReleaseHold(id: $id, holdIds: $holds) {
  fulfillmentOrder { status } userErrors { field message code } } }`, { variables: { id: fo.id, holds: [holdId] } });
check(g.data?.fulfillmentOrderReleaseHold?.fulfillmentOrder?.status === 'OPEN', `release: ${JSON.stringify(g)}`);
g = await gql.request(CREATE, { variables: { f: fInput(1) } });
check(g.data?.fulfillmentCreate?.userErrors?.length === 0 && g.data.fulfillmentCreate.fulfillment.status === 'SUCCESS',
      `partial fulfilment: ${JSON.stringify(g)}`);
g = await gql.request(FOS, { variables: { id: order.admin_graphql_api_id } });
const left = g.data.order.fulfillmentOrders.nodes[0];
check(left.status === 'IN_PROGRESS' && left.lineItems.nodes[0].remainingQuantity === 2 &&
      g.data.order.displayFulfillmentStatus === 'PARTIALLY_FULFILLED', `2 left open, got ${JSON.stringify(g.data)}`);
g = await gql.request(CREATE, { variables: { f: fInput(0) } });
check(g.data?.fulfillmentCreate?.userErrors?.length === 0, `the rest: ${JSON.stringify(g)}`);
g = await gql.request(FOS, { variables: { id: order.admin_graphql_api_id } });
check(g.data.order.displayFulfillmentStatus === 'FULFILLED' && g.data.order.fulfillmentOrders.nodes.length === 0,
      `fulfilled, no open fulfillment order left, got ${JSON.stringify(g.data)}`);
// The legacy REST endpoint answers as Shopify does since 2022-07.
res = await rest.post(`orders/${order.order_id}/fulfillments`, { data: { fulfillment: {} } });
check(res.status === 404, `legacy POST orders/{id}/fulfillments answered ${res.status}`);
console.log(`fulfilment: hold refused, released, partial 1 then 2, order ${order.name} fulfilled; legacy 404`);

// ---- version fall-forward -----------------------------------------------------

for (const asked of ['2020-01', '2099-01']) {
  const old = createAdminApiClient({ ...common, apiVersion: asked });
  const r = await old.fetch('{ shop { name } }');
  const served = r.headers.get('x-shopify-api-version');
  check(r.ok && served === '2026-01', `asked ${asked}: served ${served} (status ${r.status})`);
  const body = await r.json();
  check(body.data?.shop?.name, `asked ${asked}: an answer with data, got ${JSON.stringify(body)}`);
  console.log(`version ${asked}: served by ${served}`);
}

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
