// The inputs of the workflow's keyless attestation step (actions/attest), from build-image's
// JSON result: the pushed repository and digest, the predicate type, and the predicate written
// to PREDICATE.json. `gpu-verified=true` only when the target was pushed and its statement says
// the GPU verify passed; the workflow attests nothing otherwise.
import { readFileSync, writeFileSync } from "node:fs";

export function attestationInputs(result) {
  const target = result?.targets?.[0];
  const statement = target?.attestation?.statement;
  if (!target || target.status !== "pushed" || !statement) return { "gpu-verified": "false", reason: `target ${target?.target ?? "?"} was not pushed with an attestation` };
  if (statement.predicate?.verify?.gpuVerified !== true) {
    return { "gpu-verified": "false", reason: `verify mode ${statement.predicate?.verify?.mode}, outcome ${statement.predicate?.verify?.outcome}: not a GPU verification` };
  }
  const [subject] = statement.subject;
  return {
    "gpu-verified": "true",
    "subject-name": subject.name,
    "subject-digest": `sha256:${subject.digest.sha256}`,
    "predicate-type": statement.predicateType,
    predicate: statement.predicate,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, predicateFile] = process.argv.slice(2);
  if (!file || !predicateFile) { console.error("usage: node scripts/gha-attestation.mjs RESULT.json PREDICATE.json"); process.exitCode = 2; }
  else {
    const { predicate, reason, ...outputs } = attestationInputs(JSON.parse(readFileSync(file, "utf8")));
    if (predicate) writeFileSync(predicateFile, JSON.stringify(predicate));
    else console.error(`gha-attestation: nothing to attest: ${reason}`);
    for (const [k, v] of Object.entries(outputs)) console.log(`${k}=${v}`);
  }
}
