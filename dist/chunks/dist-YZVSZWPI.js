import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  require_dist
} from "./chunk-SUZ5OTCJ.js";
import "./chunk-U4OZQXGD.js";
export default require_dist();
