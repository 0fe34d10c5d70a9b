import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { declaredNames, effective, parseDockerfile, stageChain, stageNamed } from "./dockerfile.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dockerfile = parseDockerfile(readFileSync(join(repoRoot, "deploy/Dockerfile"), "utf8"));
const dockerignore = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

const SECRET_NAME = /TOKEN|PASSWORD|SECRET|KEY|CREDENTIAL|REDIS_URL/i;

const targets = [
  { target: "relay", ports: ["8080", "9464"], main: "services/relay/dist/main.js" },
  { target: "control-plane", ports: ["50051", "8081", "9465"], main: "services/control-plane/dist/main.js" },
];

describe("parseDockerfile", () => {
  it("joins continuation lines, skips comments and groups instructions by stage", () => {
    const parsed = parseDockerfile("# syntax=docker/dockerfile:1\nARG BASE=node:20\nFROM ${BASE} AS one\n# note\nRUN a \\\n  # inner comment\n  && b\nFROM one\nUSER 1000\n");
    expect(parsed.globalArgs.map((a) => a.args)).toEqual(["BASE=node:20"]);
    expect(parsed.stages.map((s) => [s.name, s.from])).toEqual([["one", "${BASE}"], [undefined, "one"]]);
    expect(parsed.stages[0]?.instructions).toEqual([{ keyword: "RUN", args: "a && b", line: 5 }]);
  });

  it("reads the names ENV and ARG declare", () => {
    expect(declaredNames({ keyword: "ENV", args: "A=1 B_C=two", line: 1 })).toEqual(["A", "B_C"]);
    expect(declaredNames({ keyword: "ENV", args: "LEGACY value with spaces", line: 1 })).toEqual(["LEGACY"]);
    expect(declaredNames({ keyword: "ARG", args: "ADMIN_PASSWORD", line: 1 })).toEqual(["ADMIN_PASSWORD"]);
  });
});

describe("deploy/Dockerfile", () => {
  it("starts from a pinned Node 20 image", () => {
    const image = dockerfile.globalArgs.find((a) => a.args.startsWith("NODE_IMAGE="))?.args.split("=")[1];
    expect(image).toMatch(/^node:20[\w.-]*$/);
    expect(image).not.toMatch(/latest/);
  });

  it("prunes each service's workspace with turbo before installing anything", () => {
    const prune = stageNamed(dockerfile, "prune")?.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args).join("\n") ?? "";
    expect(prune).toContain("turbo prune @claude-relay/relay --docker");
    expect(prune).toContain("turbo prune @claude-relay/control-plane --docker");
    const build = stageNamed(dockerfile, "build");
    expect(build?.instructions.some((i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args))).toBe(true);
    expect(build?.instructions.some((i) => i.keyword === "RUN" && i.args.includes("npm run build"))).toBe(true);
  });

  it("declares no secret in any ENV or ARG", () => {
    const all = [...dockerfile.globalArgs, ...dockerfile.stages.flatMap((s) => s.instructions)];
    const offenders = all
      .filter((i) => i.keyword === "ENV" || i.keyword === "ARG")
      .flatMap((i) => declaredNames(i).filter((n) => SECRET_NAME.test(n)).map((n) => `line ${i.line}: ${i.keyword} ${n}`));
    expect(offenders).toEqual([]);
  });

  it("has no HEALTHCHECK: Kubernetes probes and compose healthchecks do that job", () => {
    expect(dockerfile.stages.flatMap((s) => s.instructions).filter((i) => i.keyword === "HEALTHCHECK")).toEqual([]);
  });

  describe.each(targets)("target $target", ({ target, ports, main }) => {
    const stage = stageNamed(dockerfile, target);

    it("exists and builds on the runtime stage", () => {
      expect(stage).toBeDefined();
      expect(stageChain(dockerfile, target).map((s) => s.name)).toContain("runtime");
    });

    it("runs as a numeric non-root user", () => {
      const user = effective(dockerfile, target, "USER")?.args ?? "";
      expect(user).toMatch(/^\d+(:\d+)?$/);
      expect(user.split(":")[0]).not.toBe("0");
    });

    it("installs production dependencies only, with npm ci --omit=dev of its pruned workspace", () => {
      const runs = stage?.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args) ?? [];
      expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
      expect(runs.some((r) => /\bnpm (install|i)\b/.test(r))).toBe(false);
      const copies = stage?.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args) ?? [];
      expect(copies).toContain(`--from=prune /out/${target}/json/ ./`);
    });

    it("copies nothing from the build context, only from earlier stages", () => {
      for (const stageInChain of stageChain(dockerfile, target)) {
        if (stageInChain.name === "base") continue;
        for (const copy of stageInChain.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD")) {
          expect(copy.args, `line ${copy.line}`).toMatch(/^--from=/);
        }
      }
    });

    it("runs node under tini as PID 1, so SIGTERM reaches the drain", () => {
      expect(JSON.parse(effective(dockerfile, target, "ENTRYPOINT")?.args ?? "null")).toEqual(["/usr/bin/tini", "--"]);
      expect(JSON.parse(effective(dockerfile, target, "CMD")?.args ?? "null")).toEqual(["node", main]);
    });

    it("exposes its ports", () => {
      const exposed = stage?.instructions.filter((i) => i.keyword === "EXPOSE").flatMap((i) => i.args.split(/\s+/)) ?? [];
      expect(exposed.sort()).toEqual([...ports].sort());
    });

    it("binds to all interfaces inside the container", () => {
      const env = stage?.instructions.filter((i) => i.keyword === "ENV").map((i) => i.args).join(" ") ?? "";
      expect(env).toMatch(/(RELAY|CONTROL_PLANE)_HOST=0\.0\.0\.0/);
    });
  });

  it("builds the admin UI and ships its static files in the control-plane image only", () => {
    const prune = stageNamed(dockerfile, "prune")?.instructions.map((i) => i.args).join("\n") ?? "";
    expect(prune).toMatch(/turbo prune [^\n]*@claude-relay\/admin-ui/);
    const runs = (target: string) => stageNamed(dockerfile, target)?.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args).join("\n") ?? "";
    expect(runs("control-plane")).toContain("cp -r /build/services/admin-ui/dist services/admin-ui/dist");
    expect(runs("relay")).not.toContain("admin-ui");
  });

  it("refers only to earlier stages in COPY --from and RUN --mount from=", () => {
    const seen = new Set<string>();
    for (const stage of dockerfile.stages) {
      for (const i of stage.instructions) {
        for (const m of i.args.matchAll(/(?:--from=|\bfrom=)([\w-]+)/g)) expect(seen.has(m[1] ?? ""), `line ${i.line}: ${m[1]}`).toBe(true);
      }
      if (stage.name) seen.add(stage.name);
    }
  });
});

describe(".dockerignore", () => {
  it("keeps installed modules, build output, git history and local credentials out of the context", () => {
    expect(dockerignore).toEqual(expect.arrayContaining([".git", "**/node_modules", "**/dist", ".tools", "**/.env", "**/.env.*"]));
  });
});
