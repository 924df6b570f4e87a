/** Reads the key files named on the command line, with a message naming the file when it cannot. */
import { readFile } from "node:fs/promises";
import type { KeyObject } from "node:crypto";
import { UserError, errnoCode, errorMessage } from "../errors.js";
import { loadPublicKey, loadSigningKey, type SigningKey } from "./sign.js";

async function readKeyText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new UserError(`${what} ${file} cannot be read: ${errnoCode(e) ?? errorMessage(e)}`, 2, { cause: e });
  }
}

export async function readSigningKeyFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<SigningKey> {
  return loadSigningKey(file, await readKeyText(file, "--sign-key"), env);
}

export async function readPublicKeyFile(file: string): Promise<KeyObject> {
  return loadPublicKey(file, await readKeyText(file, "--public-key"));
}
