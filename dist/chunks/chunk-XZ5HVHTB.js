import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);

// src/errors.ts
var UserError = class extends Error {
  constructor(message, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
    this.name = "UserError";
  }
  exitCode;
};
var ConfigError = class extends UserError {
  constructor(file, problems) {
    super(`${file} is invalid:
${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.file = file;
    this.problems = problems;
    this.name = "ConfigError";
  }
  file;
  problems;
};
var StepError = class extends Error {
  constructor(step, message, exitCode = 1) {
    super(`${step}: ${message}`);
    this.step = step;
    this.exitCode = exitCode;
    this.name = "StepError";
  }
  step;
  exitCode;
};
var CancelledError = class extends Error {
  constructor(signal = "SIGINT") {
    super(`cancelled by ${signal}`);
    this.name = "CancelledError";
  }
};
function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

export {
  UserError,
  ConfigError,
  StepError,
  CancelledError,
  errorMessage
};
