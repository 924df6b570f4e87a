/**
 * The part of tar-fs v3 that build-context.ts uses, declared here: tar-fs ships no types and
 * @types/tar-fs describes v2 (no `sort`, `strict`, `finalize`, `finish`). tar-stream v3 ships
 * its own.
 */
declare module "tar-fs" {
  import type { Header, Pack } from "tar-stream";

  export interface PackOptions {
    /** Pack into this tar-stream pack instead of a new one. */
    pack?: Pack;
    /** Only these paths (relative to the folder), in this order. */
    entries?: string[];
    /** Walk folders in sorted order (stable output across file systems). */
    sort?: boolean;
    /** Fail on a file that cannot be read (default true). */
    strict?: boolean;
    /** Call pack.finalize() when done (default true). */
    finalize?: boolean;
    /** Called with the pack once every entry was written. */
    finish?: (pack: Pack) => void;
    /** Leave out a path (absolute) when this returns true. */
    ignore?: (name: string) => boolean;
    /** Rewrite each entry's header. */
    map?: (header: Header) => Header;
    dereference?: boolean;
    umask?: number;
    dmode?: number;
    fmode?: number;
  }

  export function pack(cwd: string, opts?: PackOptions): Pack;
}
