/** A bind mount: from the build file's verify settings down to the container the Engine starts. */
export interface Mount {
  /** Host path (in the build file, relative paths resolve against the file's folder). */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  readOnly: boolean;
}
