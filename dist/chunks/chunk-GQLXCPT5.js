import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  loadPublicKey,
  loadSigningKey
} from "./chunk-2O236P5S.js";
import {
  UserError,
  errnoCode,
  errorMessage
} from "./chunk-2IM7SQKB.js";

// src/attest/key-file.ts
import { readFile } from "node:fs/promises";
async function readKeyText(file, what) {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new UserError(`${what} ${file} cannot be read: ${errnoCode(e) ?? errorMessage(e)}`, 2, { cause: e });
  }
}
async function readSigningKeyFile(file, env = process.env) {
  return loadSigningKey(file, await readKeyText(file, "--sign-key"), env);
}
async function readPublicKeyFile(file) {
  return loadPublicKey(file, await readKeyText(file, "--public-key"));
}

export {
  readSigningKeyFile,
  readPublicKeyFile
};
