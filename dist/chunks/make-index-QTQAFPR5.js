import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  indexesOfRun,
  makeIndex,
  membersFromRun
} from "./chunk-WFPH3LNI.js";
import "./chunk-23OKPUUQ.js";
import "./chunk-LHFICXII.js";
import "./chunk-YKZH4FPT.js";
import "./chunk-F7NKY5RN.js";
import "./chunk-XZ5HVHTB.js";
import "./chunk-U4OZQXGD.js";
export {
  indexesOfRun,
  makeIndex,
  membersFromRun
};
