/**
 * Signing with a key pair: the statement goes into a DSSE envelope, packed as a Sigstore bundle
 * (v0.3, `verificationMaterial.publicKey`), the form `cosign verify-blob-attestation --bundle`
 * and sigstore-js read. No transparency log or timestamp authority is contacted: a key-pair
 * signature proves who holds the key, nothing more (keyless signing runs in GitHub Actions).
 *
 * Keys: cosign's own encrypted private key (`cosign generate-key-pair`: PKCS#8 sealed with
 * scrypt + NaCl secretbox, PEM type ENCRYPTED SIGSTORE PRIVATE KEY, or ENCRYPTED COSIGN PRIVATE
 * KEY from cosign 1), or a plain / passphrase-encrypted PKCS#8 or SEC1 PEM. Only ECDSA P-256 with
 * SHA-256, cosign's default; other key types are refused by name.
 */
import { createHash, createPrivateKey, createPublicKey, scryptSync, sign, verify, type KeyObject } from "node:crypto";
import nacl from "tweetnacl";
import { UserError, errorMessage } from "../errors.js";

export const BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
export const SIGN_PASSWORD_ENV = "SGLANG_IMAGE_PATCHER_SIGN_PASSWORD";
/** cosign's own variable, read when ours is not set. */
export const COSIGN_PASSWORD_ENV = "COSIGN_PASSWORD";

export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: { sig: string; keyid: string }[];
}

export interface SigstoreBundle {
  mediaType: typeof BUNDLE_MEDIA_TYPE;
  verificationMaterial: {
    publicKey?: { hint: string };
    x509CertificateChain?: unknown;
    certificate?: unknown;
    tlogEntries: unknown[];
    timestampVerificationData?: unknown;
  };
  dsseEnvelope: DsseEnvelope;
}

/** DSSE's pre-authentication encoding: what is really signed (type and body, length-prefixed). */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** The bundle's key hint: the sha256 of the public key's DER (SubjectPublicKeyInfo). */
export function keyHint(publicKey: KeyObject): string {
  return `sha256:${createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex")}`;
}

function requireP256(key: KeyObject, what: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== "ec" || curve !== "prime256v1") {
    throw new UserError(`${what} is ${key.asymmetricKeyType === "ec" ? `an EC key on ${curve}` : `a ${key.asymmetricKeyType} key`}; only ECDSA P-256 keys (cosign's default) are supported`);
  }
}

interface CosignSealed {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/** Opens cosign's sealed private key (go-securesystemslib's `encrypted` format) into PKCS#8 DER. */
export function openCosignKey(sealedJson: Buffer, password: string, file: string): Buffer {
  let sealed: CosignSealed;
  try {
    sealed = JSON.parse(sealedJson.toString("utf8")) as CosignSealed;
  } catch {
    throw new UserError(`${file}: the encrypted key's body is not cosign's JSON envelope`);
  }
  if (sealed.kdf?.name !== "scrypt" || sealed.cipher?.name !== "nacl/secretbox") {
    throw new UserError(`${file}: unsupported key encryption ${sealed.kdf?.name}/${sealed.cipher?.name} (cosign uses scrypt/nacl/secretbox)`);
  }
  const { N, r, p } = sealed.kdf.params;
  const key = scryptSync(password, Buffer.from(sealed.kdf.salt, "base64"), 32, { N, r, p, maxmem: 256 * N * r });
  const opened = nacl.secretbox.open(Buffer.from(sealed.ciphertext, "base64"), Buffer.from(sealed.cipher.nonce, "base64"), key);
  if (!opened) throw new UserError(`${file}: wrong password (the key does not decrypt with it)`);
  return Buffer.from(opened);
}

function pemBlock(text: string): { type: string; body: Buffer } | undefined {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  return m ? { type: m[1]!, body: Buffer.from(m[2]!.replace(/\s+/g, ""), "base64") } : undefined;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  hint: string;
}

/** Reads a private key file; the password comes from the environment, never the command line. */
export function loadSigningKey(file: string, text: string, env: NodeJS.ProcessEnv = process.env): SigningKey {
  const password = env[SIGN_PASSWORD_ENV] ?? env[COSIGN_PASSWORD_ENV];
  const block = pemBlock(text);
  if (!block) throw new UserError(`${file}: not a PEM private key`);
  let privateKey: KeyObject;
  try {
    if (block.type === "ENCRYPTED SIGSTORE PRIVATE KEY" || block.type === "ENCRYPTED COSIGN PRIVATE KEY") {
      if (password === undefined) throw new UserError(`${file} is an encrypted cosign key: set ${SIGN_PASSWORD_ENV} (or ${COSIGN_PASSWORD_ENV}) to its password`);
      privateKey = createPrivateKey({ key: openCosignKey(block.body, password, file), format: "der", type: "pkcs8" });
    } else if (block.type === "ENCRYPTED PRIVATE KEY") {
      if (password === undefined) throw new UserError(`${file} is encrypted: set ${SIGN_PASSWORD_ENV} to its passphrase`);
      privateKey = createPrivateKey({ key: text, format: "pem", passphrase: password });
    } else if (block.type === "PRIVATE KEY" || block.type === "EC PRIVATE KEY") {
      privateKey = createPrivateKey({ key: text, format: "pem" });
    } else {
      throw new UserError(`${file}: a PEM ${block.type}, not a private key`);
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: cannot read the private key (${errorMessage(e)})`, 2, { cause: e });
  }
  requireP256(privateKey, file);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, hint: keyHint(publicKey) };
}

export function loadPublicKey(file: string, text: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: "pem" });
  } catch (e) {
    throw new UserError(`${file}: not a PEM public key (${errorMessage(e)})`, 2, { cause: e });
  }
  requireP256(key, file);
  return key;
}

export function signStatement(statement: Buffer, payloadType: string, key: SigningKey): SigstoreBundle {
  const sig = sign("sha256", pae(payloadType, statement), key.privateKey);
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: key.hint }, tlogEntries: [] },
    dsseEnvelope: { payload: statement.toString("base64"), payloadType, signatures: [{ sig: sig.toString("base64"), keyid: "" }] },
  };
}

/** Whether any signature of the envelope verifies with `publicKey` (over the envelope's own payload). */
export function envelopeVerifies(envelope: DsseEnvelope, publicKey: KeyObject): boolean {
  const data = pae(envelope.payloadType, Buffer.from(envelope.payload, "base64"));
  return envelope.signatures.some((s) => {
    try {
      return verify("sha256", data, publicKey, Buffer.from(s.sig, "base64"));
    } catch {
      return false;
    }
  });
}
