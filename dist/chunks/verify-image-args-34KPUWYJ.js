import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
} from "./chunk-UO6Y646E.js";
import "./chunk-QRGDKZYO.js";
import "./chunk-NHCFDP4K.js";
import "./chunk-F7NKY5RN.js";
import "./chunk-XZ5HVHTB.js";
import "./chunk-U4OZQXGD.js";
export {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
};
