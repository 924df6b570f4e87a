import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
} from "./chunk-JFW5CNXZ.js";
import "./chunk-TGLA5772.js";
import "./chunk-BKJ4SD3D.js";
export {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
};
