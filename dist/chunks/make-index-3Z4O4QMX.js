import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  indexesOfRun,
  makeIndex,
  membersFromRun
} from "./chunk-XKH5DWIL.js";
import "./chunk-2O236P5S.js";
import "./chunk-LHFICXII.js";
import "./chunk-CAIBC3BL.js";
import "./chunk-F7NKY5RN.js";
import "./chunk-2IM7SQKB.js";
import "./chunk-U4OZQXGD.js";
export {
  indexesOfRun,
  makeIndex,
  membersFromRun
};
