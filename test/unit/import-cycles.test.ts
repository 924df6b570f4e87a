/**
 * No import cycle in src/: every relative import (type-only ones, re-exports and dynamic
 * `import()` included) is followed, and any path that comes back to where it started fails the
 * test, named module by module. (attest/ once took pipeline/run.ts's TargetResult while the
 * pipeline imported attest/: it now has its own input type, AttestedTarget.)
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The src/ modules a file imports: `import ... from`, `export ... from`, `import("...")`, side-effect imports. */
export function importsOf(file: string, text = readFileSync(file, "utf8")): string[] {
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s+["']([^"']+)["']/gm),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return [...new Set(specs.filter((s) => s.startsWith(".")).map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, ".ts"))))];
}

/** Every cycle, each as the list of modules from its smallest member round to it again. */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.set(canonical.join(" -> "), [...canonical, canonical[0]!]);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return [...found.values()];
}

describe("the import graph of src/", () => {
  const files = sources(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));

  it("reads the imports it should (the walk is not vacuous)", () => {
    expect(files.length).toBeGreaterThan(50);
    const run = graph.get(path.join(SRC, "pipeline/run.ts"))!.map((f) => path.relative(SRC, f));
    expect(run).toEqual(expect.arrayContaining(["attest/attest-step.ts", "pipeline/steps.ts", "pipeline/result.ts", "cancel.ts", "docker/engine.ts"]));
    // A dynamic import counts too (build-image loads the Docker client lazily).
    expect(graph.get(path.join(SRC, "cli/build-image.ts"))!.map((f) => path.relative(SRC, f))).toContain("docker/engine.ts");
  });

  it("finds a cycle when there is one", () => {
    expect(cyclesOf(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]))).toEqual([["a", "b", "c", "a"]]);
    expect(importsOf("/x/a.ts", 'import type { T } from "./b.js";\nexport { u } from "../c.js";\nconst m = await import("./d.js");\n')).toEqual(["/x/b.ts", "/c.ts", "/x/d.ts"]);
  });

  it("has no cycle", () => {
    const cycles = cyclesOf(graph).map((c) => c.map((f) => path.relative(SRC, f)).join(" -> "));
    expect(cycles).toEqual([]);
  });
});
