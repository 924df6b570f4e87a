/** The wire contract ships in the repository (docs/); it must stay the shared one it was copied from. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SHARED = path.resolve(ROOT, "../shared/docs/token-ids-contract.md");

describe("docs/token-ids-contract.md", () => {
  it("is in the repository and the README links it there", () => {
    expect(readFileSync(path.join(ROOT, "docs/token-ids-contract.md"), "utf8")).toMatch(/token/i);
    expect(readFileSync(path.join(ROOT, "README.md"), "utf8")).toContain("](docs/token-ids-contract.md)");
  });

  it.skipIf(!existsSync(SHARED))("equals the shared contract beside the checkout", () => {
    expect(readFileSync(path.join(ROOT, "docs/token-ids-contract.md"), "utf8")).toBe(readFileSync(SHARED, "utf8"));
  });
});
