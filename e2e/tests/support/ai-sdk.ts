/**
 * The Vercel AI SDK's streamText with a tool, run against the relay in a process of its own
 * (ai-sdk-stream-text.mjs says why), and what it saw.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** One step of the run, as the AI SDK reported it. */
export interface AiSdkStep {
  finishReason: string;
  toolCalls: Array<{ toolName: string; input: unknown }>;
  toolResults: unknown[];
}

/** What the run saw. */
export interface AiSdkRun {
  text: string;
  steps: AiSdkStep[];
  /** The inputs the tool was executed with. */
  executed: unknown[];
  outputTokens: number;
}

const SCRIPT = fileURLToPath(new URL("./ai-sdk-stream-text.mjs", import.meta.url));

/** Runs streamText with a get_weather tool whose parameters are `parameters`; rejects with the SDK's error. */
export function runAiSdkStreamText(options: { baseURL: string; apiKey: string; model: string; parameters: object }): Promise<AiSdkRun> {
  return new Promise((resolve, reject) => {
    // Node's own resolution (no `--conditions source`), with a scrubbed NODE_OPTIONS so nothing adds it back.
    const env = { ...process.env, NODE_OPTIONS: "" };
    execFile(process.execPath, [SCRIPT, JSON.stringify(options)], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      let parsed: (AiSdkRun & { error?: undefined }) | { error: string } | undefined;
      try {
        parsed = JSON.parse(line) as AiSdkRun | { error: string };
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined) return reject(new Error(`AI SDK run failed: ${String(error)}\n${stdout}\n${stderr}`));
      if (parsed.error !== undefined) return reject(new Error(`AI SDK run failed: ${parsed.error}`));
      resolve(parsed as AiSdkRun);
    });
  });
}
