import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);

// src/errors.ts
var BaseError = class extends Error {
  constructor(code, message, exitCode, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.code = code;
    this.exitCode = exitCode;
  }
  code;
  exitCode;
};
var UserError = class extends BaseError {
  constructor(message, exitCode = 2, options = {}) {
    super(options.code ?? "USER_ERROR", message, exitCode, options);
    this.name = "UserError";
  }
};
var ConfigError = class extends UserError {
  constructor(file, problems) {
    super(`${file} is invalid:
${problems.map((p) => `  - ${p}`).join("\n")}`, 2, { code: "CONFIG_INVALID" });
    this.file = file;
    this.problems = problems;
    this.name = "ConfigError";
  }
  file;
  problems;
};
var StepError = class extends BaseError {
  constructor(step, message, exitCode = 1, options = {}) {
    super(options.code ?? "STEP_FAILED", `${step}: ${message}`, exitCode, options);
    this.step = step;
    this.name = "StepError";
  }
  step;
};
var CancelledError = class extends BaseError {
  constructor(signal = "SIGINT") {
    super("CANCELLED", `cancelled by ${signal}`, 130);
    this.name = "CancelledError";
  }
};
function isReported(e) {
  return e instanceof BaseError && e.exitCode !== void 0;
}
function exitCodeFor(e) {
  return isReported(e) ? e.exitCode : 1;
}
function errnoCode(e) {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : void 0;
}
function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

export {
  BaseError,
  UserError,
  ConfigError,
  StepError,
  CancelledError,
  isReported,
  exitCodeFor,
  errnoCode,
  errorMessage
};
