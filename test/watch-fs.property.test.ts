import fc from "fast-check";
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { GraftRuntime } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

/**
 * The watcher (R2) against random file-system changes made as fast as the OS allows, with
 * short pauses between some: saves (plain and atomic), folders made, deleted, moved over one
 * another and replaced by a file, files moved between folders. Once it settles, graft runs
 * exactly the scripts on disk, and a save in every folder that exists then reloads (each
 * is watched: none lost, none left watching a folder gone).
 */
const FOLDERS = ["d1", "d2", "d1/e", "d2/e", "d1/e/f"] as const;
const NAMES = ["a.ts", "b.ts"] as const;

type Step =
  | { kind: "write"; folder: string; name: string; atomic: boolean }
  | { kind: "mkdir" | "rmdir" | "toFile"; folder: string }
  | { kind: "moveFolder"; from: string; to: string }
  | { kind: "moveFile"; from: string; to: string; name: string }
  | { kind: "pause"; ms: number };

const folder = fc.constantFrom(...FOLDERS);
const anyFolder = fc.constantFrom("", ...FOLDERS);
const name = fc.constantFrom(...NAMES);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("write" as const), folder: anyFolder, name, atomic: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("mkdir" as const, "rmdir" as const, "toFile" as const), folder }),
  fc.record({ kind: fc.constant("moveFolder" as const), from: folder, to: folder }),
  fc.record({ kind: fc.constant("moveFile" as const), from: anyFolder, to: anyFolder, name }),
  fc.record({ kind: fc.constant("pause" as const), ms: fc.integer({ min: 0, max: 15 }) }),
);

/** The scripts on disk, as graft names them. */
function scriptsOnDisk(root: string, relative = ""): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) found.push(...scriptsOnDisk(root, child));
    else if (entry.isFile() && entry.name.endsWith(".ts")) found.push(child);
  }
  return found.sort();
}

const isFolder = (full: string): boolean => existsSync(full) && lstatSync(full).isDirectory();

/** Applies a step; what the file system refuses (a move into itself, a missing source) is skipped. */
async function apply(root: string, step: Step, version: number): Promise<void> {
  const at = (relative: string): string => path.join(root, relative);
  try {
    switch (step.kind) {
      case "write": {
        mkdirSync(at(step.folder), { recursive: true });
        const file = path.join(at(step.folder), step.name);
        if (isFolder(file)) return;
        if (step.atomic) {
          writeFileSync(`${file}.tmp`, `export const v = ${version};`);
          renameSync(`${file}.tmp`, file);
        } else {
          writeFileSync(file, `export const v = ${version};`);
        }
        return;
      }
      case "mkdir":
        mkdirSync(at(step.folder), { recursive: true });
        return;
      case "rmdir":
        rmSync(at(step.folder), { recursive: true, force: true });
        return;
      case "toFile":
        rmSync(at(step.folder), { recursive: true, force: true });
        mkdirSync(path.dirname(at(step.folder)), { recursive: true });
        writeFileSync(at(step.folder), "not a folder");
        return;
      case "moveFolder":
        if (step.to === step.from || step.to.startsWith(`${step.from}/`) || !isFolder(at(step.from))) return;
        rmSync(at(step.to), { recursive: true, force: true });
        mkdirSync(path.dirname(at(step.to)), { recursive: true });
        renameSync(at(step.from), at(step.to));
        return;
      case "moveFile": {
        const target = path.join(at(step.to), step.name);
        mkdirSync(at(step.to), { recursive: true });
        if (isFolder(target)) return;
        renameSync(path.join(at(step.from), step.name), target);
        return;
      }
      case "pause":
        await new Promise((resolve) => setTimeout(resolve, step.ms));
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!["ENOENT", "ENOTDIR", "EEXIST", "EISDIR", "ENOTEMPTY", "EINVAL"].includes(code ?? "")) throw error;
  }
}

function exportedV(runtime: GraftRuntime, file: string): unknown {
  try {
    return runtime.exports(file).v?.toHost();
  } catch {
    return undefined;
  }
}

describe("R2 watch: random file-system changes", () => {
  it("end with graft running exactly the scripts on disk, every folder still watched", async () => {
    let version = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 30 }), async (steps) => {
        const scripts = await scriptsFolder({ "main.ts": "export const v = 0;" });
        const runtime = await runtimeFor(scripts, { watch: true });
        try {
          for (const one of steps) await apply(scripts.root, one, ++version);
          const watched = (runtime as unknown as { watched: { settled: boolean } }).watched;
          await waitFor(() => watched.settled, 10_000, "the watcher to settle");
          // A save in every folder there is now: each must reach graft.
          const probes = new Map<string, number>();
          for (const relative of ["", ...FOLDERS].filter((one) => isFolder(path.join(scripts.root, one)))) {
            const file = relative === "" ? "probe.ts" : `${relative}/probe.ts`;
            probes.set(file, ++version);
            writeFileSync(path.join(scripts.root, file), `export const v = ${version};`);
          }
          const converged = (): boolean =>
            JSON.stringify(runtime.files().slice().sort()) === JSON.stringify(scriptsOnDisk(scripts.root)) &&
            [...probes].every(([file, value]) => exportedV(runtime, file) === value);
          await waitFor(converged, 10_000, "graft to run what is on disk").catch(() => undefined);
          expect({ files: runtime.files().slice().sort(), probes: [...probes.keys()].map((file) => [file, exportedV(runtime, file)]) }).toEqual({
            files: scriptsOnDisk(scripts.root),
            probes: [...probes],
          });
        } finally {
          runtime.dispose();
        }
      }),
      { numRuns: Number(process.env.GRAFT_PROPERTY_RUNS ?? 8) },
    );
  }, 120_000);
});
