/**
 * A small Dockerfile reader for lint-style tests: joins continuation lines, drops comments and
 * parser directives, and groups instructions by build stage. It does not expand variables.
 */

/** One instruction, keyword upper-cased, arguments as written (continuations joined). */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** One build stage: `FROM <image> [AS <name>]` and what follows it. */
export interface Stage {
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

/** A parsed Dockerfile: global ARGs before the first FROM, then the stages in order. */
export interface Dockerfile {
  globalArgs: Instruction[];
  stages: Stage[];
}

/** Parses Dockerfile text. */
export function parseDockerfile(text: string): Dockerfile {
  const result: Dockerfile = { globalArgs: [], stages: [] };
  const lines = text.split(/\r?\n/);
  let pending: { text: string; line: number } | undefined;

  const flush = (instruction: string, line: number) => {
    const match = /^(\w+)\s*(.*)$/s.exec(instruction.trim());
    if (!match) return;
    const keyword = (match[1] ?? "").toUpperCase();
    const args = (match[2] ?? "").trim();
    if (keyword === "FROM") {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      result.stages.push({ name: from?.[2], from: from?.[1] ?? args, instructions: [] });
    } else if (result.stages.length === 0) {
      if (keyword === "ARG") result.globalArgs.push({ keyword, args, line });
    } else {
      result.stages.at(-1)?.instructions.push({ keyword, args, line });
    }
  };

  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (pending === undefined && (trimmed === "" || trimmed.startsWith("#"))) return;
    if (pending !== undefined && trimmed.startsWith("#")) return;
    const continued = trimmed.endsWith("\\");
    const body = continued ? trimmed.slice(0, -1).trimEnd() : trimmed;
    pending = pending === undefined ? { text: body, line: index + 1 } : { text: `${pending.text} ${body}`, line: pending.line };
    if (!continued) {
      flush(pending.text, pending.line);
      pending = undefined;
    }
  });
  if (pending !== undefined) flush(pending.text, pending.line);
  return result;
}

/** The stage called `name`, or undefined. */
export function stageNamed(file: Dockerfile, name: string): Stage | undefined {
  return file.stages.find((s) => s.name === name);
}

/** The chain of stages a target is built on, the target first, following `FROM <stage>`. */
export function stageChain(file: Dockerfile, target: string): Stage[] {
  const chain: Stage[] = [];
  let stage = stageNamed(file, target);
  while (stage && !chain.includes(stage)) {
    chain.push(stage);
    stage = stageNamed(file, stage.from);
  }
  return chain;
}

/** The last value of an instruction in a target, searching its own stage first, then its bases. */
export function effective(file: Dockerfile, target: string, keyword: string): Instruction | undefined {
  for (const stage of stageChain(file, target)) {
    const found = stage.instructions.filter((i) => i.keyword === keyword).at(-1);
    if (found) return found;
  }
  return undefined;
}

/** Variable names an ENV or ARG instruction sets (`ENV A=1 B=2`, `ENV A 1`, `ARG A`, `ARG A=1`). */
export function declaredNames(instruction: Instruction): string[] {
  if (instruction.keyword === "ENV" && !instruction.args.includes("=")) return [instruction.args.split(/\s+/)[0] ?? ""];
  return [...instruction.args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)/g)].map((m) => m[1] ?? "");
}
