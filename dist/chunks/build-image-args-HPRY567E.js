import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
} from "./chunk-PLQSB7VY.js";
import "./chunk-IQNXU4GY.js";
import "./chunk-BKJ4SD3D.js";
export {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
};
