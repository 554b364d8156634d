import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const PROJECT = path.join(ROOT, "test/projects/replay-history");
const made: string[] = [];
afterEach(() => {
  while (made.length > 0) rmSync(made.pop()!, { recursive: true, force: true });
});

/** A git repository whose commits are test/projects/replay-history/<n>-<name>/, in order. */
function repositoryOfCommits(): string {
  const work = mkdtempSync(path.join(tmpdir(), "graft-replay-repo-"));
  made.push(work);
  const git = (...args: string[]): string => execFileSync("git", ["-C", work, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { encoding: "utf8" });
  git("init", "-q");
  for (const commit of readdirSync(PROJECT).filter((name) => /^\d+-/.test(name)).sort()) {
    rmSync(path.join(work, "src"), { recursive: true, force: true });
    cpSync(path.join(PROJECT, commit, "src"), path.join(work, "src"), { recursive: true });
    git("add", "-A");
    git("commit", "-q", "-m", commit);
  }
  return path.join(work, ".git");
}

describe("tools/replay-history.mjs replays a history through one runtime and compares every commit with a fresh load", () => {
  it("a small history with an import cycle, a re-exported interface, a broken commit and its fix: no divergence, the broken commit explained", () => {
    const gitDir = repositoryOfCommits();
    const out = path.join(mkdtempSync(path.join(tmpdir(), "graft-replay-out-")), "results.json");
    made.push(path.dirname(out));
    execFileSync(process.execPath, [path.join(ROOT, "tools/replay-history.mjs"), gitDir, "--src", "src", "--probe", path.join(PROJECT, "probe.ts"), "--out", out], { encoding: "utf8" });
    const { summary, results } = JSON.parse(readFileSync(out, "utf8")) as {
      summary: { commits: number; same: number; diverged: string[]; freshFailing: { files: string[] }[]; leaking: unknown[] };
      results: { subject: string; divergences: unknown[]; expected: string[]; classesKept?: number; probe?: Record<string, unknown> }[];
    };
    expect(summary.commits).toBe(4);
    expect(summary.diverged).toEqual([]);
    expect(summary.same).toBe(4);
    expect(summary.leaking).toEqual([]);
    // The broken commit does not load fresh (and its importers wait on it); the long-lived
    // runtime keeps the previous version running: expected, and said so.
    expect(summary.freshFailing.map((entry) => entry.files.sort())).toEqual([["__replay_probe__.ts", "index.ts", "shapes.ts", "square.ts"]]);
    const broken = results.find((entry) => entry.subject === "3-broken")!;
    expect(broken.expected.join("\n")).toMatch(/square\.ts: fails as in a fresh load; its previous version keeps running/);
    expect(broken.expected.join("\n")).toMatch(/index\.ts: fails fresh, waiting on a broken file/);
    // Classes keep their identity from commit to commit (Circle, and Square once it exists).
    expect(results.map((entry) => entry.classesKept)).toEqual([0, 1, 2, 2]);
    expect(results[3]!.probe).toEqual({ names: ["Circle", "Square", "label"], circle: "Circle of area 13", square: "Square of area 9" });
  });
});
