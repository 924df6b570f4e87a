import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
} from "./chunk-GUYWX2KO.js";
import "./chunk-5XWWRMUY.js";
import "./chunk-4HRXCVB4.js";
import "./chunk-F7NKY5RN.js";
import "./chunk-2IM7SQKB.js";
import "./chunk-U4OZQXGD.js";
export {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
};
