import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
} from "./chunk-CC6HRM2D.js";
import "./chunk-IQNXU4GY.js";
import "./chunk-BKJ4SD3D.js";
export {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
};
