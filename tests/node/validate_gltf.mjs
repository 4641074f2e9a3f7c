// Validate GLB files with the Khronos glTF validator.
// Usage: node validate_gltf.mjs FILE.glb [FILE.glb ...]
// Prints the validator's JSON report for each file, one per line; its `issues` hold numErrors,
// numWarnings, numInfos, numHints and messages. Exits 0 when no file has an error, 1 otherwise,
// 2 on misuse.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import validator from "gltf-validator";

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node validate_gltf.mjs FILE.glb [FILE.glb ...]");
  process.exit(2);
}

// The validator rejects input it cannot even recognise as glTF; report that as an error too.
async function validate(path) {
  const bytes = await readFile(path);
  try {
    return await validator.validateBytes(new Uint8Array(bytes), { uri: basename(path), maxIssues: 100 });
  } catch (error) {
    const message = String(error?.message ?? error);
    return {
      uri: basename(path),
      issues: {
        numErrors: 1, numWarnings: 0, numInfos: 0, numHints: 0, truncated: false,
        messages: [{ code: "UNRECOGNISED_DATA", message, severity: 0 }],
      },
    };
  }
}

let failed = false;
for (const path of paths) {
  const report = await validate(path);
  console.log(JSON.stringify(report));
  failed ||= report.issues.numErrors > 0;
}
process.exit(failed ? 1 : 0);
