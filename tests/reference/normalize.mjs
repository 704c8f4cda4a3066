#!/usr/bin/env node
// Makes our copy of Cin7 Core's reference (as published and normalized for
// tools) usable by Stoplight Prism, changing nothing the reference says:
//
// 1. POST and PUT /sale get a JSON request body with an open schema
//    ({type: object}). The reference documents the sale's body only by
//    example; without a requestBody Prism refuses every body ("No supported
//    content types", 415) before it is forwarded.
// 2. A property written `nullable: true` with no type (what the conversion
//    from examples made of a null example value) becomes `{}`, any value.
//    Prism's JSON Schema compiler rejects `nullable` without `type`, and a
//    schema that does not compile is silently not validated at all: 795
//    such properties switched off validation of most answers and several
//    request bodies.
//
//   node tests/reference/normalize.mjs PUBLISHED.yaml > tests/reference/cin7-core-openapi.normalized.yaml
import { readFileSync } from 'node:fs';

if (process.argv.length !== 3) {
  console.error('usage: node tests/reference/normalize.mjs PUBLISHED-NORMALIZED.yaml');
  process.exit(2);
}
const lines = readFileSync(process.argv[2], 'utf8').split('\n');
const indent = (l) => l.length - l.trimStart().length;
const out = [];
let path = null, method = null, bodies = 0, nulls = 0;
for (let i = 0; i < lines.length; i++) {
  const l = lines[i];
  const p = /^  (\/\S*):\s*$/.exec(l);
  if (p) path = p[1];
  const m = /^    (get|post|put|delete|patch):\s*$/.exec(l);
  if (m) method = m[1];
  if (path === '/sale' && (method === 'post' || method === 'put') && /^      responses:\s*$/.test(l)) {
    out.push('      requestBody:', '        content:', '          application/json:',
             '            schema:', '              type: object');
    bodies++;
    method = null;
  }
  if (/^\s+nullable: true\s*$/.test(l)) {
    const n = indent(l), prev = out[out.length - 1] ?? '', next = lines[i + 1] ?? '';
    if (/:\s*$/.test(prev) && indent(prev) === n - 2 && indent(next) < n) {
      out[out.length - 1] = prev.replace(/:\s*$/, ': {}');
      nulls++;
      continue;
    }
  }
  out.push(l);
}
if (bodies !== 2) {
  console.error(`normalize: expected POST and PUT /sale, found ${bodies}`);
  process.exit(1);
}
process.stdout.write(out.join('\n'));
console.error(`normalize: /sale bodies: ${bodies}; typeless nullable properties: ${nulls}`);
