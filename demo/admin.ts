import path from "node:path";
import { inspect } from "node:util";
import type { GraftRuntime } from "graft";
import type { CommandInfo } from "./script-host.js";

const NOT_YET = "Heap inspection is not available yet in this graft build.";

/** Heap features came after the rest of graft; an older build answers NOT_YET. */
function hasHeapTools(runtime: GraftRuntime): boolean {
  const candidate = runtime as Partial<Pick<GraftRuntime, "leaks" | "heap">>;
  return typeof candidate.leaks === "function" && typeof candidate.heap?.write === "function";
}

/** The wizard commands, as help lists them. */
export const WIZARD_COMMANDS: CommandInfo[] = [
  { name: "@reload", verbs: ["@reload [file...]"], help: "reload changed scripts now, or re-run the ones named even if unchanged" },
  { name: "@leaks", verbs: ["@leaks"], help: "retired class versions still alive, with what holds them" },
  { name: "@heap", verbs: ["@heap [all]"], help: "live objects by class, after a full GC (all: graft's own objects too)" },
  { name: "@snapshot", verbs: ["@snapshot"], help: "write a .heapsnapshot for Chrome DevTools" },
  { name: "@eval", verbs: ["@eval <file> <code>"], help: "run code in a script's own scope" },
  { name: "@populate", verbs: ["@populate <count>"], help: "add <count> crates to the storehouse (try @heap and @leaks on a big world)" },
];

/** Crates added per call into the VM: each call stays well inside the game's time budget. */
const STOCK_BATCH = 10_000;

/**
 * The most crates the storehouse takes: a million crates (two million VM objects with their
 * names) fit in the demo's VM memory (graft's default limit, 256 MiB) with room for the game;
 * two million do not.
 */
export const MAX_CRATES = 1_000_000;

/**
 * Adds `count` crates to the world's storehouse (world/world.ts `stock`), in batches, and
 * returns how many it holds; refuses (changing nothing) when that would pass MAX_CRATES.
 */
export function populateWorld(runtime: GraftRuntime, count: number): number {
  const exports = runtime.exports("world/world.ts");
  for (const [name, value] of Object.entries(exports)) if (name !== "world") value.dispose();
  const world = exports.world;
  if (!world) throw new Error("world/world.ts exports no world");
  try {
    const stockOf = (crates: number): number => {
      const stocked = world.call("stock", crates);
      try {
        return stocked.toHost() as number;
      } finally {
        stocked.dispose();
      }
    };
    let total = stockOf(0);
    if (total + count > MAX_CRATES) {
      throw new Error(`the storehouse holds ${total} crates and takes at most ${MAX_CRATES} (what fits in the VM's 256 MiB with room for the game); add at most ${MAX_CRATES - total}`);
    }
    for (let done = 0; done < count; done += STOCK_BATCH) total = stockOf(Math.min(STOCK_BATCH, count - done));
    return total;
  } finally {
    world.dispose();
  }
}

/** Wizard commands: @reload, @leaks, @heap, @snapshot, @eval, @populate. */
export async function runAdminCommand(runtime: GraftRuntime, verb: string, args: string, snapshotDir: string, tell: (text: string) => void = () => {}): Promise<string> {
  switch (verb) {
    case "@reload": {
      // Named files are re-run even if unchanged (a wizard's "run it again"); bare @reload applies what changed on disk.
      let report;
      try {
        report = args ? await runtime.reload(args.split(/\s+/), { force: true }) : await runtime.reload();
      } catch (error) {
        // A path that is not a script, or one on disk nowhere (a typo): say which.
        return `@reload: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (report.errors.length > 0) {
        const details = report.errors.map((error) => error.text.replace(/^/gm, "  ")).join("\n");
        return `Reload failed:\n${details}`;
      }
      return report.files.length + report.removed.length === 0
        ? "Nothing changed on disk (@reload <file> re-runs a file as it is)."
        : `Reloaded ${[...report.files, ...report.removed].join(", ")} in ${report.durationMs.toFixed(1)} ms.`;
    }
    case "@leaks": {
      if (!hasHeapTools(runtime)) return NOT_YET;
      const leaks = runtime.leaks();
      return leaks.length === 0 ? "No leaks: no retired class version is alive after a full GC." : leaks.map((leak) => leak.text).join("\n\n");
    }
    case "@heap": {
      if (!hasHeapTools(runtime)) return NOT_YET;
      const { before, after } = runtime.gc();
      // `@heap all` also counts graft's own objects (its kernel's records, host functions' data).
      const rows = runtime.heap.topClasses(15, { internal: args.trim() === "all" }).map((row) => `  ${String(row.count).padStart(7)}  ${row.name}`);
      return `GC: ${before} -> ${after} live objects. Instances by class:\n${rows.join("\n")}`;
    }
    case "@snapshot": {
      if (!hasHeapTools(runtime)) return NOT_YET;
      const file = path.resolve(snapshotDir, `graft-${new Date().toISOString().replace(/[:.]/g, "-")}.heapsnapshot`);
      // The game stops only while the heap is read; the file is written while it runs on.
      const started = performance.now();
      let told = 0;
      const written = runtime.heap.write(file, {
        onProgress: ({ done, total }) => {
          const percent = total === 0 ? 100 : Math.floor((done * 100) / total);
          if (percent >= told + 25 && percent < 100) {
            told = percent - (percent % 25);
            tell(`@snapshot: ${told}% written...`);
          }
        },
      });
      tell(`@snapshot: heap read in ${(performance.now() - started).toFixed(0)} ms (the game paused for that only); writing ${path.basename(file)}...`);
      try {
        await written;
      } catch (error) {
        return `@snapshot failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      return `Heap snapshot written to ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s (open it in Chrome DevTools > Memory > Load).`;
    }
    case "@eval": {
      const space = args.indexOf(" ");
      if (space === -1) return "Usage: @eval <file> <code>, e.g. @eval world/world.ts world.players.map((p) => p.name)";
      const file = args.slice(0, space);
      try {
        const value = runtime.evaluate(file, args.slice(space + 1));
        try {
          return inspect(value.isReference ? value : value.toHost());
        } finally {
          value.dispose();
        }
      } catch (error) {
        return `@eval failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    case "@populate": {
      const count = Number(args);
      if (!Number.isInteger(count) || count <= 0 || count > MAX_CRATES) return `Usage: @populate <count>, a whole number from 1 to ${MAX_CRATES}, e.g. @populate 100000`;
      const started = performance.now();
      let total: number;
      try {
        total = populateWorld(runtime, count);
      } catch (error) {
        return `@populate failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      return `Added ${count} crates in ${(performance.now() - started).toFixed(0)} ms; the storehouse holds ${total}. Try @heap and @leaks.`;
    }
    default:
      return `Unknown wizard command ${verb}. Try ${WIZARD_COMMANDS.map((command) => command.name).join(", ")}.`;
  }
}
