#!/usr/bin/env node
// Entry of the `claude-relay` command; the code is built into dist/ by `npm run build`.
import { existsSync } from "node:fs";

const entry = new URL("../dist/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("claude-relay is not built yet: run `npm run build` in the repository first");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
