// Validate one GLB whose images are external resources with the Khronos glTF validator.
// Usage: node validate_gltf_resources.mjs FILE.glb DIR
// Each image URI is read from DIR by its last path segment (its query left out), as a server
// resolving it would; a URI with no such file is reported by the validator as unreadable.
// Prints the validator's JSON report on one line; exits 0 without errors, 1 with, 2 on misuse.
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import validator from "gltf-validator";

const [path, dir] = process.argv.slice(2);
if (!path || !dir) {
  console.error("usage: node validate_gltf_resources.mjs FILE.glb DIR");
  process.exit(2);
}
const bytes = await readFile(path);
const report = await validator.validateBytes(new Uint8Array(bytes), {
  uri: basename(path),
  maxIssues: 100,
  externalResourceFunction: async (uri) => new Uint8Array(await readFile(join(dir, basename(uri.split("?")[0])))),
});
console.log(JSON.stringify(report));
process.exit(report.issues.numErrors > 0 ? 1 : 0);
