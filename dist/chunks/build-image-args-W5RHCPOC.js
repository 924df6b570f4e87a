import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
} from "./chunk-Q64DR4EN.js";
import "./chunk-NHCFDP4K.js";
import "./chunk-F7NKY5RN.js";
import "./chunk-XZ5HVHTB.js";
import "./chunk-U4OZQXGD.js";
export {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
};
