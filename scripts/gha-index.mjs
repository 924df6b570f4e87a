// The inputs of the workflow's keyless index attestation (actions/attest), from the `index`
// command's JSON result: the index's repository and digest, the predicate type and the predicate
// (written to PREDICATE.json). Nothing when the index was not made (the step before failed then).
import { readFileSync, writeFileSync } from "node:fs";

export function indexAttestationInputs(result) {
  const made = result?.indexes?.find((i) => i.status === "pushed");
  if (!made) return { reason: "no index was made" };
  const statement = JSON.parse(readFileSync(made.attestation.statementFile, "utf8"));
  const at = made.digest.lastIndexOf("@");
  return { "subject-name": made.digest.slice(0, at), "subject-digest": made.digest.slice(at + 1), "predicate-type": statement.predicateType, predicate: statement.predicate };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, predicateFile] = process.argv.slice(2);
  if (!file || !predicateFile) { console.error("usage: node scripts/gha-index.mjs INDEX-RESULT.json PREDICATE.json"); process.exitCode = 2; }
  else {
    const { predicate, reason, ...outputs } = indexAttestationInputs(JSON.parse(readFileSync(file, "utf8")));
    if (predicate) writeFileSync(predicateFile, JSON.stringify(predicate));
    else console.error(`gha-index: nothing to attest: ${reason}`);
    for (const [k, v] of Object.entries(outputs)) console.log(`${k}=${v}`);
  }
}
