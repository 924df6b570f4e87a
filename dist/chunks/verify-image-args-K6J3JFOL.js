import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
} from "./chunk-VQ576JUU.js";
import "./chunk-4U7DXQFA.js";
import "./chunk-7RPAIHZV.js";
import "./chunk-F7NKY5RN.js";
import "./chunk-XZ5HVHTB.js";
import "./chunk-U4OZQXGD.js";
export {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
};
