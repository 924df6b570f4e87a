import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  indexesOfRun,
  makeIndex,
  membersFromRun
} from "./chunk-6RALTO6T.js";
import "./chunk-2NBR4ABL.js";
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
