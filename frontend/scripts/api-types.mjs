#!/usr/bin/env node
// TypeScript types of the API, generated from the server's OpenAPI 3.1 document.
//
//   node scripts/api-types.mjs DOCUMENT.json           write src/types/openapi.ts
//   node scripts/api-types.mjs --check DOCUMENT.json   exit 1 when the committed file differs, or
//                                                      when src/types/api.ts names a type other than
//                                                      the generated one
//
// DOCUMENT.json is what `/api/v1/openapi.json` serves; without a server, from the repository root:
//   .venv/bin/python -c "import json; from configurator_addon.server.openapi import openapi_document; \
//     print(json.dumps(openapi_document(), indent=2))" > /tmp/openapi.json
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';

const FRONTEND = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const OUTPUT = path.join(FRONTEND, 'src', 'types', 'openapi.ts');
const RELATIVE_OUTPUT = path.relative(FRONTEND, OUTPUT);
const NAMES = path.join(FRONTEND, 'src', 'types', 'api.ts');
const RELATIVE_NAMES = path.relative(FRONTEND, NAMES);
/** Properties src/types/api.ts narrows on purpose: the document can only call them objects. */
const REFINED = { Product: ['config_schema'] };
const COMPILER_OPTIONS = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  types: [],
};

const HEADER = `/**
 * GENERATED FILE, do not edit: the server's OpenAPI document (/api/v1/openapi.json) as
 * TypeScript, by openapi-typescript through scripts/api-types.mjs. To regenerate, from the
 * repository root:
 *
 *   .venv/bin/python -c "import json; from configurator_addon.server.openapi import openapi_document; print(json.dumps(openapi_document(), indent=2))" > /tmp/openapi.json
 *   cd frontend && npm run api-types -- /tmp/openapi.json
 *
 * The app imports the named types from ./api.ts, not from here.
 */

`;

function usage(message) {
  if (message) console.error(`api-types: ${message}`);
  console.error('usage: npm run api-types -- DOCUMENT.json | npm run api-types:check -- DOCUMENT.json');
  process.exit(2);
}

/** The file as it should be for `document`. */
async function generate(document) {
  // A property with a default but not in `required` stays optional: the same schemas
  // describe request bodies, where such a property may be left out.
  const ast = await openapiTS(document, { defaultNonNullable: false });
  return HEADER + astToString(ast);
}

/** First line where the two texts differ (1-based), with both versions of it. */
function firstDifference(expected, actual) {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return { line: i + 1, expected: a[i], actual: b[i] };
  }
  return null;
}

function describeDiagnostic(diagnostic) {
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ');
  if (!diagnostic.file) return text;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
  return `${path.relative(FRONTEND, diagnostic.file.fileName)}:${line + 1}: ${text}`;
}

/** Problems of src/types/api.ts against the generated file: it must compile, and each type it
 * exports under the name of a schema must be that schema (but for the REFINED properties). */
function checkNames(document) {
  const program = ts.createProgram([NAMES], COMPILER_OPTIONS);
  const problems = ts.getPreEmitDiagnostics(program).map(describeDiagnostic);
  if (problems.length) return problems;

  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(NAMES));
  const schemaNames = new Set(Object.keys(document.components?.schemas ?? {}));
  const names = checker.getExportsOfModule(moduleSymbol)
    .filter((symbol) => symbol.flags & ts.SymbolFlags.Type && schemaNames.has(symbol.name))
    .map((symbol) => symbol.name);

  const lines = [
    `import type * as Api from ${JSON.stringify(NAMES.replace(/\.ts$/, ''))};`,
    `import type { components } from ${JSON.stringify(OUTPUT.replace(/\.ts$/, ''))};`,
    "type Schemas = components['schemas'];",
    // Assignable both ways and the same property names (a missing optional one counts too).
    'type Both<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;',
    'type Same<A, B> = Both<A, B> extends true ? Both<keyof A, keyof B> : false;',
  ];
  const firstProbe = lines.length;
  for (const name of names) {
    const omitted = (REFINED[name] ?? []).map((key) => JSON.stringify(key)).join(' | ');
    const [mine, generated] = omitted
      ? [`Omit<Api.${name}, ${omitted}>`, `Omit<Schemas[${JSON.stringify(name)}], ${omitted}>`]
      : [`Api.${name}`, `Schemas[${JSON.stringify(name)}]`];
    lines.push(`export const probe${lines.length}: Same<${mine}, ${generated}> = true;`);
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'api-types-'));
  const probe = path.join(directory, 'probe.ts');
  try {
    fs.writeFileSync(probe, lines.join('\n') + '\n');
    const probeProgram = ts.createProgram([probe], COMPILER_OPTIONS, undefined, program);
    const file = probeProgram.getSourceFile(probe);
    for (const diagnostic of ts.getPreEmitDiagnostics(probeProgram, file)) {
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const name = names[line - firstProbe];
      problems.push(name
        ? `${RELATIVE_NAMES}: ${name} is not the generated components["schemas"]["${name}"]; make it an alias of it`
        : describeDiagnostic(diagnostic));
    }
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
  return problems;
}

async function main(argv) {
  const check = argv.includes('--check');
  const files = argv.filter((arg) => arg !== '--check');
  if (files.length !== 1 || files[0].startsWith('-')) usage(files.length ? `unknown argument ${files[0]}` : 'no document given');
  const source = path.resolve(process.env.INIT_CWD ?? process.cwd(), files[0]);

  let document;
  try {
    document = JSON.parse(fs.readFileSync(source, 'utf8'));
  } catch (error) {
    console.error(`api-types: cannot read the OpenAPI document ${source}: ${error.message}`);
    process.exit(2);
  }
  if (!document || typeof document.openapi !== 'string') {
    console.error(`api-types: ${source} is not an OpenAPI document (no "openapi" version field)`);
    process.exit(2);
  }
  const expected = await generate(document);

  if (!check) {
    fs.writeFileSync(OUTPUT, expected);
    console.log(`api-types: wrote ${RELATIVE_OUTPUT} from ${source}`);
    return;
  }
  const actual = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : null;
  if (actual === expected) {
    const problems = checkNames(document);
    if (problems.length === 0) {
      console.log(`api-types: ${RELATIVE_OUTPUT} matches the OpenAPI document, ${RELATIVE_NAMES} names its types`);
      return;
    }
    console.error(`api-types: ${RELATIVE_NAMES} does not match the generated ${RELATIVE_OUTPUT}:`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.error(`api-types: ${RELATIVE_OUTPUT} is out of date with the server's OpenAPI document.`);
  if (actual === null) {
    console.error('  The file does not exist.');
  } else {
    const diff = firstDifference(expected, actual);
    console.error(`  First difference at line ${diff.line}:`);
    console.error(`    generated: ${diff.expected ?? '(end of file)'}`);
    console.error(`    committed: ${diff.actual ?? '(end of file)'}`);
  }
  console.error('  Regenerate it and commit the result (then fix src/types/api.ts and the app if they no longer compile):');
  console.error(`    cd frontend && npm run api-types -- ${files[0]}`);
  process.exit(1);
}

await main(process.argv.slice(2));
