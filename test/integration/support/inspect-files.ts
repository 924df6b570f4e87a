/**
 * Reads, inside an image, what a patched file looks like to the system: owner, mode, content
 * hash, the state of its .pyc, and whether the sglang distribution's RECORD agrees with the
 * files on disk (what pip relies on). Runs the image's own python3 as root in a throw-away
 * container, so base and patched image are read the same way.
 */
import { execFileSync } from "node:child_process";

export interface FileFacts {
  uid: number;
  gid: number;
  mode: string;
  sha256: string;
  /** For a .py: its __pycache__ entry (null when absent). */
  pyc: null | { uid: number; gid: number; mode: string; dirUid: number; dirGid: number; dirMode: string; checkedHashOfSource: boolean };
}

export interface ImageFacts {
  files: Record<string, FileFacts | null>;
  /** RECORD rows with a hash, and those whose file does not match (path: why). */
  record: null | { path: string; rowsWithHash: number; mismatches: string[]; rows: Record<string, string> };
}

const SCRIPT = String.raw`
import csv, base64, hashlib, importlib.metadata, importlib.util, json, os, sys
def facts(path):
    if not os.path.exists(path):
        return None
    st = os.stat(path)
    data = open(path, "rb").read()
    out = {"uid": st.st_uid, "gid": st.st_gid, "mode": "%04o" % (st.st_mode & 0o7777), "sha256": hashlib.sha256(data).hexdigest(), "pyc": None}
    if path.endswith(".py"):
        pyc = importlib.util.cache_from_source(path)
        if os.path.exists(pyc):
            p, d = os.stat(pyc), os.stat(os.path.dirname(pyc))
            head = open(pyc, "rb").read(16)
            checked = int.from_bytes(head[4:8], "little") == 3 and head[8:16] == importlib.util.source_hash(data)
            out["pyc"] = {"uid": p.st_uid, "gid": p.st_gid, "mode": "%04o" % (p.st_mode & 0o7777), "dirUid": d.st_uid, "dirGid": d.st_gid, "dirMode": "%04o" % (d.st_mode & 0o7777), "checkedHashOfSource": checked}
    return out
record = None
try:
    dist = importlib.metadata.distribution("sglang")
    rec = os.path.join(str(dist._path), "RECORD")
except importlib.metadata.PackageNotFoundError:
    rec = None
if rec and os.path.exists(rec):
    site = os.path.dirname(os.path.dirname(rec))
    record = {"path": rec, "rowsWithHash": 0, "mismatches": [], "rows": {}}
    for row in csv.reader(open(rec, newline="")):
        if len(row) < 3 or not row[1]:
            continue
        record["rowsWithHash"] += 1
        record["rows"][row[0]] = ",".join(row[1:])
        full = os.path.join(site, row[0])
        data = open(full, "rb").read() if os.path.exists(full) else None
        algo, _, want = row[1].partition("=")
        got = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode() if data is not None else None
        if got != want or str(len(data)) != row[2]:
            record["mismatches"].append("%s: RECORD %s,%s; file %s,%s" % (row[0], row[1], row[2], got, None if data is None else len(data)))
print(json.dumps({"files": {p: facts(p) for p in sys.argv[1:]}, "record": record}))
`;

export function inspectFiles(image: string, paths: string[]): ImageFacts {
  const out = execFileSync("docker", ["run", "--rm", "--network", "none", "--user", "0", "--entrypoint", "python3", image, "-c", SCRIPT, ...paths], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out) as ImageFacts;
}

/** Runs `sh -c script` as the image's own USER; returns stdout. */
export function runAsImageUser(image: string, script: string): string {
  return execFileSync("docker", ["run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", script], { encoding: "utf8" });
}
