import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
} from "./chunk-U6J3L5DJ.js";
import "./chunk-4HRXCVB4.js";
import "./chunk-F7NKY5RN.js";
import "./chunk-2IM7SQKB.js";
import "./chunk-U4OZQXGD.js";
export {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
};
