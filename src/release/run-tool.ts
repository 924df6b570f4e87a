/**
 * Runs one of the project's Python tools (python/patchtools, scripts/*.sh) by argument vector: no
 * shell, so no quoting. Their stderr (progress) is passed through to ours as it comes, prefixed
 * with the step; stdout is collected (the tools print their JSON there).
 */
import { spawn } from "node:child_process";

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface ToolOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the tool (and report code 124) after this long. */
  timeoutMs?: number;
  /** Prefix for the passed-through stderr lines. */
  label?: string;
}

export type RunTool = (argv: string[], opts: ToolOptions) => Promise<ToolResult>;

export const runTool: RunTool = (argv, opts) =>
  new Promise((done) => {
    const began = Date.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs ? setTimeout(() => ((timedOut = true), child.kill("SIGTERM")), opts.timeoutMs) : undefined;
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => {
      err.push(b);
      if (opts.label) process.stderr.write(b.toString("utf8").replace(/^(?=.)/gm, `[${opts.label}] `));
    });
    const finish = (code: number, extra = "") => {
      if (timer) clearTimeout(timer);
      done({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") + extra, seconds: Math.round((Date.now() - began) / 100) / 10 });
    };
    child.on("error", (e) => finish(127, `\n${argv[0]}: ${e.message}`));
    child.on("close", (code, signal) => finish(timedOut ? 124 : (code ?? (signal ? 128 : 1)), timedOut ? `\n${argv[0]} timed out` : ""));
  });

/** The last non-empty line of a tool's output: what a failed step says in a table cell. */
export function lastLine(text: string): string {
  const lines = text.trim().split("\n").filter((l) => l.trim());
  return (lines[lines.length - 1] ?? "").trim().slice(0, 300);
}
