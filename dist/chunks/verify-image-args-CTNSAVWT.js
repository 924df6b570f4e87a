import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
} from "./chunk-TW4Q4VT6.js";
import "./chunk-RWPITNTV.js";
import "./chunk-NHCFDP4K.js";
import "./chunk-F7NKY5RN.js";
import "./chunk-XZ5HVHTB.js";
import "./chunk-U4OZQXGD.js";
export {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
};
