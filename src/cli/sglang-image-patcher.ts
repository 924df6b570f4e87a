#!/usr/bin/env node
/**
 * The command line entry point (the package's `bin`, bundled to dist/sglang-image-patcher.mjs):
 * `sglang-image-patcher build ...` and `sglang-image-patcher verify IMAGE ...`. Each command is
 * loaded only when it runs, and --help is answered from the small argument modules alone, so
 * asking for help does not pay for loading the pipeline.
 */

const USAGE = `Usage: sglang-image-patcher <command> [options]

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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const asksForHelp = rest.includes("--help") || rest.includes("-h");
  if (command === "build") {
    if (asksForHelp) {
      const { BUILD_IMAGE_HELP, parseBuildImageArgs } = await import("./build-image-args.js");
      if (helpRequested(() => parseBuildImageArgs(rest).help)) return printHelp(BUILD_IMAGE_HELP);
    }
    return (await import("./build-image.js")).buildImage(rest);
  }
  if (command === "verify") {
    if (asksForHelp) {
      const { VERIFY_IMAGE_HELP, parseVerifyImageArgs } = await import("./verify-image-args.js");
      if (helpRequested(() => parseVerifyImageArgs(rest).help)) return printHelp(VERIFY_IMAGE_HELP);
    }
    return (await import("./verify-image.js")).verifyImage(rest);
  }
  if (command === "index") return (await import("./index-image.js")).indexImage(rest);
  if (command === "bases") return (await import("./bases-update.js")).basesUpdate(rest);
  if (command === "release-watch") return (await import("./release.js")).releaseWatch(rest);
  if (command === "release-propose") return (await import("./release.js")).releasePropose(rest);
  if (command === undefined || command === "--help" || command === "-h" || command === "help") return printHelp(USAGE);
  process.stderr.write(`error: unknown command ${JSON.stringify(command)}\n${USAGE}`);
  return 2;
}

/** Bad arguments are left to the command, which reports them as its JSON result. */
function helpRequested(parse: () => boolean): boolean {
  try {
    return parse();
  } catch {
    return false;
  }
}

function printHelp(text: string): number {
  process.stdout.write(text);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
