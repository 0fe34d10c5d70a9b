/**
 * Compose-style variable interpolation, enough to check deploy/docker-compose.yml offline:
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`,
 * and `$$` for a literal dollar sign. Also reads a `.env` file.
 */

/** Thrown by interpolate when a required variable (`:?`/`?`) is unset; `code` is stable. */
export class MissingVariableError extends Error {
  override readonly name = "MissingVariableError";
  readonly code = "COMPOSE_VARIABLE_MISSING";
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
  }
}

/** Substitutes variables in `text` from `env`; throws MissingVariableError for a missing required one. */
export function interpolate(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name, colon, op, arg, bare) => {
    if (whole === "$$") return "$";
    if (bare) return env[bare] ?? "";
    const value = env[name];
    const unset = value === undefined || (colon === ":" && value === "");
    if (op === "-") return unset ? arg : (value ?? "");
    if (op === "?") {
      if (unset) throw new MissingVariableError(name, arg || "required variable is not set");
      return value ?? "";
    }
    return value ?? "";
  });
}

/** Parses a `.env` file: KEY=value lines, `#` comments, optional matching quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    env[key] = value;
  }
  return env;
}
