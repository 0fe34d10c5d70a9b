// Copies src/**/*.lua and src/**/*.json (the price table) next to the compiled modules in dist/, which read them at start.
import { cpSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith(".lua") || entry.name.endsWith(".json")) cpSync(path, join(dist, relative(src, path)));
  }
}

walk(src);
