/**
 * Stand-in bases that are NOT quite like ours, made the way other people make images (same
 * real v0.5.9 files and Debian rootfs as stand-in-bases.ts, cached by a hash of their inputs):
 *
 *   site-packages-no-git: sglang installed in dist-packages the way pip does it (a RECORD with
 *     sha256/size rows in pip's CRLF CSV, .pyc rows for the folder pip compiled), git removed
 *     from the image, everything owned by a non-root user `ubuntu` (1000:1000) who is the
 *     image's USER, and protocol.py read-only (0444).
 *   editable-user-owned: the editable checkout at /sgl-workspace/sglang owned by `ubuntu`
 *     (git then refuses it to root: "dubious ownership"), HEAD at the pinned v0.5.9 commit with
 *     a development version string in its dist-info, and a /root/.gitconfig that asks git to
 *     rewrite whitespace when it applies patches (the official image appends upstream's
 *     gitconfig to that file). HEAD names the commit as a shallow clone of the tag does; the
 *     commit object itself is not available offline and the version check only reads the id.
 */
import path from "node:path";
import { packContext } from "../../../src/build-context.js";
import type { DockerEngine } from "../../../src/docker/engine.js";
import { distInfoFiles, ensureRootfs, fetchSglang, hash } from "./stand-in-bases.js";

export type OddVariant = "site-packages-no-git" | "editable-user-owned";
export const PINNED_COMMIT = "bbe9c7eeb520b0a67e92d133dfc137a3688dc7f2";
export const DEV_VERSION = "0.5.9.dev0+gbbe9c7e";
export const BASE_USER = { name: "ubuntu", uid: 1000, gid: 1000 };
export const READ_ONLY_FILE = "sglang/srt/entrypoints/openai/protocol.py";
/** The folder whose .pyc files the site-packages base was "installed" with (and lists in RECORD). */
export const COMPILED_DIR = "sglang/srt/entrypoints/openai";
const RECIPE_VERSION = "1";

// pip writes RECORD with csv.writer (CRLF rows): path,sha256=<urlsafe b64, no padding>,size.
const MAKE_RECORD = `import base64, csv, hashlib, os, sys
site, dist_info = sys.argv[1], sys.argv[2]
rows = []
for top in ("sglang", dist_info):
    for folder, _, files in sorted(os.walk(os.path.join(site, top))):
        for name in sorted(files):
            full = os.path.join(folder, name)
            data = open(full, "rb").read()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append([os.path.relpath(full, site), "sha256=" + digest, str(len(data))])
rows.append([dist_info + "/RECORD", "", ""])
with open(os.path.join(site, dist_info, "RECORD"), "w", newline="") as f:
    csv.writer(f).writerows(rows)
`;

const SITE_PACKAGES_NO_GIT = (rootfs: string) => `FROM ${rootfs}
COPY sglang/ /tmp/stand-in/sglang/
COPY dist-info/ /tmp/stand-in/dist-info/
COPY make_record.py /tmp/stand-in/
RUN set -e; dpkg --purge git git-man >/dev/null; ! command -v git; \\
    useradd -m -u ${BASE_USER.uid} -U ${BASE_USER.name}; \\
    site=$(python3 -c 'import site; print(site.getsitepackages()[0])'); mkdir -p "$site"; \\
    mv /tmp/stand-in/sglang "$site/sglang"; mv /tmp/stand-in/dist-info "$site/sglang-0.5.9.dist-info"; \\
    python3 -m compileall -q "$site/${COMPILED_DIR}"; \\
    python3 /tmp/stand-in/make_record.py "$site" sglang-0.5.9.dist-info; rm -rf /tmp/stand-in; \\
    chown -R ${BASE_USER.uid}:${BASE_USER.gid} "$site/sglang" "$site/sglang-0.5.9.dist-info"; \\
    chmod 0444 "$site/${READ_ONLY_FILE}"
USER ${BASE_USER.name}
`;

const EDITABLE_USER_OWNED = (rootfs: string) => `FROM ${rootfs}
COPY sglang/ /sgl-workspace/sglang/python/sglang/
COPY dist-info/ /tmp/stand-in/dist-info/
RUN set -e; useradd -m -u ${BASE_USER.uid} -U ${BASE_USER.name}; \\
    site=$(python3 -c 'import site; print(site.getsitepackages()[0])'); mkdir -p "$site"; \\
    mv /tmp/stand-in/dist-info "$site/sglang-${DEV_VERSION}.dist-info"; rm -rf /tmp/stand-in; \\
    echo '{"url": "file:///sgl-workspace/sglang/python", "dir_info": {"editable": true}}' > "$site/sglang-${DEV_VERSION}.dist-info/direct_url.json"; \\
    echo /sgl-workspace/sglang/python > "$site/__editable__.sglang-${DEV_VERSION}.pth"; \\
    cd /sgl-workspace/sglang && git init -q && git add -A && \\
    git -c user.name=stand-in -c user.email=stand-in@localhost commit -qm "v0.5.9 files (stand-in checkout)" && \\
    echo ${PINNED_COMMIT} > .git/HEAD && test "$(git rev-parse HEAD)" = ${PINNED_COMMIT}; \\
    chown -R ${BASE_USER.uid}:${BASE_USER.gid} /sgl-workspace; chmod 0444 /sgl-workspace/sglang/python/${READ_ONLY_FILE}; \\
    printf '[core]\\n\\twhitespace = space-before-tab,trailing-space\\n[apply]\\n\\twhitespace = fix\\n' >> /root/.gitconfig
USER ${BASE_USER.name}
`;

/** Builds (or reuses) an odd stand-in base; returns its tag. */
export async function ensureOddBase(engine: DockerEngine, variant: OddVariant, log: (m: string) => void = () => {}): Promise<string> {
  const rootfs = await ensureRootfs(engine, log);
  const sglangDir = await fetchSglang();
  const editable = variant === "editable-user-owned";
  const dockerfile = editable ? EDITABLE_USER_OWNED(rootfs) : SITE_PACKAGES_NO_GIT(rootfs);
  const context = await packContext(
    [
      { name: "Dockerfile", content: Buffer.from(dockerfile) },
      { name: "make_record.py", content: Buffer.from(MAKE_RECORD) },
      ...distInfoFiles(sglangDir, editable ? DEV_VERSION : "0.5.9"),
    ],
    [{ from: path.join(sglangDir, "sglang"), to: "sglang" }],
  );
  const tag = `sglang-image-patcher-test/base:${variant}-${hash(RECIPE_VERSION, rootfs, context.sha256)}`;
  if (await engine.inspectImage(tag)) return tag;
  log(`building odd stand-in base ${tag}`);
  await engine.buildImage(context.tar, { dockerfile: "Dockerfile", tag, buildargs: {}, labels: {} }, () => {});
  return tag;
}
