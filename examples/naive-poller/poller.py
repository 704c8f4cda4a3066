#!/usr/bin/env python3
"""A naive polling connector between Shopify and Cin7 Core, the kind a
native integration is: every POLL_INTERVAL it copies new paid Shopify
orders into Cin7 as sales, reads Cin7's stock and writes it to Shopify.
It has no webhooks, no queue and no idea of stock that moved since its
last read, which is exactly what surge is meant to catch.

Standard library only. Everything it needs comes from surge's contract
(docs/DESIGN.md, "A foreign engine's contract"): SURGE_ENGINE_CONFIG names
a JSON file with the APIs' URLs and credentials, the shops, the SKUs and
the clock; SURGE_PORT is where it answers /healthz.

Settings (environment):
  POLL_INTERVAL  seconds of (simulated) time between polls, default 900
  ORDER_CHUNK    orders fetched per page, default 250
"""
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

CFG = json.load(open(os.environ["SURGE_ENGINE_CONFIG"]))
CLOCK = CFG["clock"]
# Under clock "faketime" this process's clock already runs at the run's
# speed and time_scale is 1; under "native" we scale it ourselves.
SCALE = float(CLOCK["time_scale"])
ORIGIN = CLOCK["origin_ms"] / 1000.0
T0 = CLOCK["t0_ms"] / 1000.0
POLL = float(os.environ.get("POLL_INTERVAL", "900"))
CHUNK = int(os.environ.get("ORDER_CHUNK", "250"))
stopping = threading.Event()


def now():
    """Simulated unix time, seconds."""
    return ORIGIN + (time.time() - ORIGIN) * SCALE


def sleep_until(t):
    """Sleeps until simulated time t; False when asked to stop. Short
    sleeps, so SIGTERM is seen at once (time.sleep is one of the calls
    libfaketime scales)."""
    while not stopping.is_set():
        left = t - now()
        if left <= 0:
            return True
        time.sleep(min(left / SCALE, 0.2))
    return False


def log(msg):
    print("%.3f %s" % (now(), msg), flush=True)


def call(method, url, headers, body=None, tries=8):
    """One HTTP call, waiting out 429 and 503 answers as their Retry-After
    says (simulated seconds), a few times at most."""
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(tries):
        req = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read()
                return r.status, r.headers, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            if e.code in (429, 503) and attempt + 1 < tries:
                wait = float(e.headers.get("Retry-After") or 2 ** attempt)
                log("%s %s: %d, waiting %.1fs" % (method, url, e.code, wait))
                if not sleep_until(now() + wait):
                    raise
                continue
            detail = e.read()[:300]
            raise RuntimeError("%s %s: %d %s" % (method, url, e.code, detail)) from None
    raise RuntimeError("%s %s: gave up" % (method, url))


# ---- Shopify ------------------------------------------------------------------

def shop_headers(shop):
    return {"X-Shopify-Access-Token": shop["access_token"]}


def shop_url(shop, path):
    return "%s/admin/api/%s/%s" % (shop["base_url"], CFG["shopify"]["api_version"], path)


def next_link(headers):
    for part in (headers.get("Link") or "").split(","):
        if 'rel="next"' in part:
            return part[part.index("<") + 1:part.index(">")]
    return None


def new_orders(shop, since_id):
    """Every order with an id above since_id, oldest first."""
    query = {"status": "any", "limit": CHUNK}
    if since_id:
        query["since_id"] = since_id  # Shopify takes only a positive id
    url = shop_url(shop, "orders.json?" + urllib.parse.urlencode(query))
    out = []
    while url:
        _, headers, body = call("GET", url, shop_headers(shop))
        out.extend(body["orders"])
        url = next_link(headers)
    return sorted(out, key=lambda o: o["id"])


def shop_catalog(shop):
    """(location id, {sku: inventory item id}) of a shop."""
    _, _, body = call("GET", shop_url(shop, "locations.json"), shop_headers(shop))
    location = body["locations"][0]["id"]
    items = {}
    url = shop_url(shop, "products.json?limit=250")
    while url:
        _, headers, body = call("GET", url, shop_headers(shop))
        for p in body["products"]:
            for v in p["variants"]:
                items[v["sku"]] = v["inventory_item_id"]
        url = next_link(headers)
    return location, items


# ---- Cin7 ---------------------------------------------------------------------

C7 = CFG["cin7"]
C7_HEADERS = {"api-auth-accountid": C7["account_id"],
              "api-auth-applicationkey": C7["application_key"]}


def cin7(method, path, body=None):
    return call(method, C7["base_url"] + path, C7_HEADERS, body)[2]


def cin7_available():
    """Available units per Cin7 SKU, over every location."""
    avail, page = {}, 1
    while True:
        body = cin7("GET", "ref/productavailability?Limit=1000&Page=%d" % page)
        rows = body["ProductAvailabilityList"]
        for r in rows:
            avail[r["SKU"]] = avail.get(r["SKU"], 0) + r["Available"]
        if len(rows) < 1000:
            return avail
        page += 1


def push_order(shop, order, to_cin7):
    """The order as a Cin7 sale: the header, then its lines, authorised."""
    sale = cin7("POST", "sale", {
        "Customer": "Shopify " + shop["domain"],
        "CustomerReference": str(order["id"]),
        "ExternalID": "%s/%d" % (shop["domain"], order["id"]),
        "SkipQuote": True,
    })
    lines = []
    for li in order["line_items"]:
        price = float(li["price"])
        lines.append({"SKU": to_cin7.get(li["sku"], li["sku"]), "Name": li["name"],
                      "Quantity": li["quantity"], "Price": price, "Discount": 0, "Tax": 0,
                      "TaxRule": "Tax Exempt", "Total": round(price * li["quantity"], 2)})
    cin7("POST", "sale/order", {"SaleID": sale["ID"], "Status": "AUTHORISED", "Memo": "",
                                "Lines": lines})


# ---- the loop -----------------------------------------------------------------

def poll(state, to_cin7, to_shopify):
    for shop in CFG["shopify"]["shops"]:
        st = state[shop["domain"]]
        for order in new_orders(shop, st["since_id"]):
            if not order.get("cancelled_at") and order.get("financial_status") == "paid":
                push_order(shop, order, to_cin7)
                st["pushed"] += 1
            st["since_id"] = order["id"]  # only once it is in Cin7
    avail = cin7_available()
    buffer = CFG.get("safety_buffer", 0)
    for shop in CFG["shopify"]["shops"]:
        st = state[shop["domain"]]
        for c7sku, units in avail.items():
            item = st["items"].get(to_shopify.get(c7sku, c7sku))
            if item is None:
                continue
            level = max(0, int(units) - buffer)
            call("POST", shop_url(shop, "inventory_levels/set.json"), shop_headers(shop),
                 {"location_id": st["location"], "inventory_item_id": item, "available": level})
    log("poll: pushed %s" % {d: s["pushed"] for d, s in state.items()})


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/healthz"
        self.send_response(200 if ok else 404)
        self.end_headers()
        self.wfile.write(b"ok\n" if ok else b"not found\n")

    def log_message(self, *args):
        pass


def main():
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["SURGE_PORT"])), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    to_cin7 = {s["shopify_sku"]: s["cin7_sku"] for s in CFG["skus"]}
    to_shopify = {s["cin7_sku"]: s["shopify_sku"] for s in CFG["skus"]}
    state = {}
    for shop in CFG["shopify"]["shops"]:
        location, items = shop_catalog(shop)
        state[shop["domain"]] = {"since_id": 0, "location": location, "items": items, "pushed": 0}
    log("ready: polling every %gs from t0, clock %s" % (POLL, CLOCK["kind"]))
    # Polls fall on t0 + k * POLL: the first at t0.
    k = 0
    while sleep_until(T0 + k * POLL):
        try:
            poll(state, to_cin7, to_shopify)
        except Exception as e:  # a connector logs and tries again next time
            log("poll failed: %s" % e)
        k += 1
    server.shutdown()
    log("stopped")


if __name__ == "__main__":
    sys.exit(main())
