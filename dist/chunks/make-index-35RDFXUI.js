import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  indexesOfRun,
  makeIndex,
  membersFromRun
} from "./chunk-3B7A23EE.js";
import "./chunk-EOE5HTZ3.js";
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
