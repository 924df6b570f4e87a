/**
 * docs/cli.md shows each command's --help as it prints it: a changed option or exit code in the
 * code fails here until the page says the same.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BASES_HELP } from "../../src/cli/bases-update.js";
import { BUILD_IMAGE_HELP } from "../../src/cli/build-image-args.js";
import { INDEX_HELP } from "../../src/cli/index-image.js";
import { RELEASE_PROPOSE_HELP, RELEASE_WATCH_HELP } from "../../src/cli/release.js";
import { VERIFY_IMAGE_HELP } from "../../src/cli/verify-image-args.js";

const DOC = readFileSync(path.resolve(import.meta.dirname, "../../docs/cli.md"), "utf8");

/** The text block under `### name` in the page's "Every option" section. */
function helpInDoc(name: string): string | undefined {
  const section = DOC.split("\n## Every option\n")[1]?.split("\n## ")[0] ?? "";
  const m = new RegExp(`\\n### ${name}\\n\\n\`\`\`text\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(section);
  return m?.[1];
}

describe("docs/cli.md", () => {
  it.each([
    ["build", BUILD_IMAGE_HELP],
    ["verify", VERIFY_IMAGE_HELP],
    ["index", INDEX_HELP],
    ["bases", BASES_HELP],
    ["release-watch", RELEASE_WATCH_HELP],
    ["release-propose", RELEASE_PROPOSE_HELP],
  ])("shows %s --help as the command prints it", (name, help) => {
    expect(helpInDoc(name), `docs/cli.md, "Every option", ${name}`).toBe(help.replace(/\n+$/, ""));
  });
});
