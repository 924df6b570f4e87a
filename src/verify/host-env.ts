/**
 * What the verify container's environment may show and hold. `verify.env` values come from the
 * build file and `verify.envFrom` names host variables (HF_TOKEN) passed at run time; neither
 * value is printed: the plan (dry run and the JSON result) shows "(hidden)" for each, so a
 * value written into the build file does not end up in CI logs, and a host secret never has to
 * be written down. The values reach the Engine's container spec only (`docker inspect` of the
 * verify container shows them to whoever may run docker, who could read them anyway).
 */
import { UserError } from "../errors.js";
import type { VerifySettings } from "../config/schema.js";

export const HIDDEN = "(hidden)";

/** The host's values of `names`; a name that is not set is an error naming it (never its neighbours' values). */
export function passFromHost(names: readonly string[], hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const value = hostEnv[name];
    if (value === undefined) missing.push(name);
    else out[name] = value;
  }
  if (missing.length > 0)
    throw new UserError(`verify.envFrom names ${missing.join(", ")}, not set in this environment; set ${missing.length > 1 ? "them" : "it"} (e.g. export HF_TOKEN=...) or remove ${missing.length > 1 ? "them" : "it"} from verify.envFrom`);
  return out;
}

/** The settings as the plan prints them: every env value replaced by "(hidden)". */
export function publicVerifySettings(settings: VerifySettings): VerifySettings {
  return { ...settings, env: Object.fromEntries(Object.keys(settings.env).map((k) => [k, HIDDEN])) };
}
