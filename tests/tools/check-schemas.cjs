#!/usr/bin/env node
// Does Stoplight Prism really validate against every schema of a reference?
// A schema its JSON Schema compiler refuses is skipped without a word, so a
// proxy run could pass with nothing checked. For each request body and
// answer schema of every operation this validates a value of the wrong type
// with Prism's own validator and counts the schemas that let it through.
// Prints "flagged N, silent M" and then the silent ones; exits 1 on usage
// errors or when the reference cannot be read.
//
//   node tests/tools/check-schemas.cjs tests/reference/cin7-core-openapi.normalized.yaml
'use strict';
const { getHttpOperationsFromSpec } = require('@stoplight/prism-cli/dist/operations');
const { validateAgainstSchema } = require('@stoplight/prism-http/dist/validator/validators/utils');

const OUTPUT = 1; // Prism's ValidationContext.Output; Input strips other properties

async function main() {
  if (process.argv.length !== 3) {
    console.error('usage: node tests/tools/check-schemas.cjs REFERENCE.yaml');
    process.exit(1);
  }
  const ops = await getHttpOperationsFromSpec(process.argv[2]);
  let flagged = 0;
  const silent = [];
  for (const op of ops) {
    const schemas = [];
    for (const c of op.request?.body?.contents ?? [])
      if (c.schema) schemas.push(['request body', c.schema]);
    for (const r of op.responses)
      for (const c of r.contents ?? [])
        if (c.schema) schemas.push([`answer ${r.code}`, c.schema]);
    for (const [where, schema] of schemas) {
      // An array where an object is due, an object anywhere else.
      const wrong = schema.type === 'object' ? [1, 2] : { wrong: true };
      const found = validateAgainstSchema(wrong, schema, false, OUTPUT, 'body', op.__bundled__);
      if (found._tag === 'Some') flagged++;
      else silent.push(`${op.method.toUpperCase()} ${op.path} ${where}`);
    }
  }
  console.log(`flagged ${flagged}, silent ${silent.length}`);
  for (const s of silent) console.log(`silent: ${s}`);
}

main().catch((e) => {
  console.error(`check-schemas: ${e.message}`);
  process.exit(1);
});
