/** Reads and validates the build file; YAML syntax errors carry their line and column. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseDocument } from "yaml";
import { ConfigError, UserError, errnoCode } from "../errors.js";
import { validateConfig, type BuildConfig } from "./schema.js";

export function parseConfigText(text: string, file: string, dir: string): BuildConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message.split("\n")[0]}`));
  }
  const { config, problems } = validateConfig(doc.toJS(), file, dir);
  if (!config) throw new ConfigError(file, problems);
  return config;
}

export async function loadConfig(file: string): Promise<BuildConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = errnoCode(e);
    throw new UserError(`cannot read the build file ${file}: ${code === "ENOENT" ? "no such file" : String(e)}`);
  }
  return parseConfigText(text, file, path.dirname(path.resolve(file)));
}
