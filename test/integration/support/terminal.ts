/**
 * Runs a command line the way a user does in a terminal: under a real pseudo-terminal (util-linux
 * `script`), so a Ctrl-C is the ^C character typed into it and the kernel's line discipline
 * sends SIGINT to the whole foreground process group (npm, the shell, node), exactly as an
 * interactive shell's job would get it. stdout and stderr are redirected to files inside the
 * pty, so the one JSON result stays clean.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT, type CliRun } from "./services.js";

export interface TerminalRun {
  /** Types Ctrl-C into the terminal. */
  ctrlC(): void;
  stderrSoFar(): string;
  done: Promise<CliRun>;
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export function runInTerminal(argv: string[], env: NodeJS.ProcessEnv = {}): TerminalRun {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sip-tty-"));
  const out = path.join(dir, "stdout");
  const err = path.join(dir, "stderr");
  const line = `exec ${argv.map(quote).join(" ")} >${quote(out)} 2>${quote(err)}`;
  const child = spawn("script", ["-qfec", line, "/dev/null"], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["pipe", "ignore", "pipe"] });
  let scriptErr = "";
  child.stderr?.on("data", (c: Buffer) => (scriptErr += c.toString()));
  const read = (f: string) => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  const done = new Promise<CliRun>((resolve) => {
    child.on("close", (code, signal) => {
      const stdout = read(out);
      let json: Record<string, any>;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = { unparsable: stdout };
      }
      resolve({ code, signal, stdout, stderr: read(err) + scriptErr, json });
    });
  });
  return { ctrlC: () => child.stdin?.write("\x03"), stderrSoFar: () => read(err), done };
}
