#!/usr/bin/env node
import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);

// src/cli/sglang-image-patcher.ts
var USAGE = `Usage: sglang-image-patcher <command> [options]

Commands:
  build            build, verify and push patched SGLang images (npm run build-image)
  verify IMAGE     run the token-id verify suite inside an image (npm run verify-image)
  index            make each lane's multi-arch image index from verified per-arch images
  bases            read every target's base digest (per platform) from its registry into the
                   build file and print the diff (npm run bases:update)
  release-watch    what PyPI has of sglang that no series covers yet (npm run release:watch)
  release-propose VERSION
                   port the nearest series to a new release, test it, write a proposal folder
                   (npm run release:propose -- VERSION)

Run \`sglang-image-patcher <command> --help\` for a command's options.
`;
async function main(argv) {
  const [command, ...rest] = argv;
  const asksForHelp = rest.includes("--help") || rest.includes("-h");
  if (command === "build") {
    if (asksForHelp) {
      const { BUILD_IMAGE_HELP, parseBuildImageArgs } = await import("./chunks/build-image-args-QFK2PF4Z.js");
      if (helpRequested(() => parseBuildImageArgs(rest).help)) return printHelp(BUILD_IMAGE_HELP);
    }
    return (await import("./chunks/build-image-ZAP5WCIZ.js")).buildImage(rest);
  }
  if (command === "verify") {
    if (asksForHelp) {
      const { VERIFY_IMAGE_HELP, parseVerifyImageArgs } = await import("./chunks/verify-image-args-JGHO25CS.js");
      if (helpRequested(() => parseVerifyImageArgs(rest).help)) return printHelp(VERIFY_IMAGE_HELP);
    }
    return (await import("./chunks/verify-image-HVLPRFQR.js")).verifyImage(rest);
  }
  if (command === "index") return (await import("./chunks/index-image-K3WXNB2C.js")).indexImage(rest);
  if (command === "bases") return (await import("./chunks/bases-update-CRYQM53C.js")).basesUpdate(rest);
  if (command === "release-watch") return (await import("./chunks/release-VK5E6GW2.js")).releaseWatch(rest);
  if (command === "release-propose") return (await import("./chunks/release-VK5E6GW2.js")).releasePropose(rest);
  if (command === void 0 || command === "--help" || command === "-h" || command === "help") return printHelp(USAGE);
  process.stderr.write(`error: unknown command ${JSON.stringify(command)}
${USAGE}`);
  return 2;
}
function helpRequested(parse) {
  try {
    return parse();
  } catch {
    return false;
  }
}
function printHelp(text) {
  process.stdout.write(text);
  return 0;
}
process.exitCode = await main(process.argv.slice(2));
