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
  { name: "@reload", verbs: ["@reload [file...]"], help: "reload changed scripts now (or the ones named)" },
  { name: "@leaks", verbs: ["@leaks"], help: "retired class versions still alive, with what holds them" },
  { name: "@heap", verbs: ["@heap"], help: "live objects by class, after a full GC" },
  { name: "@snapshot", verbs: ["@snapshot"], help: "write a .heapsnapshot for Chrome DevTools" },
  { name: "@eval", verbs: ["@eval <file> <code>"], help: "run code in a script's own scope" },
  { name: "@populate", verbs: ["@populate <count>"], help: "add <count> crates to the storehouse (try @heap and @leaks on a big world)" },
];

/** Crates added per call into the VM: each call stays well inside the game's time budget. */
const STOCK_BATCH = 10_000;

/** Adds `count` crates to the world's storehouse (world/world.ts `stock`), in batches; returns how many it holds. */
export function populateWorld(runtime: GraftRuntime, count: number): number {
  const world = runtime.exports("world/world.ts").world;
  if (!world) throw new Error("world/world.ts exports no world");
  try {
    let total = 0;
    for (let done = 0; done < count; done += STOCK_BATCH) {
      const stocked = world.call("stock", Math.min(STOCK_BATCH, count - done));
      total = stocked.toHost() as number;
      stocked.dispose();
    }
    return total;
  } finally {
    world.dispose();
  }
}

/** Wizard commands: @reload, @leaks, @heap, @snapshot, @eval. */
export async function runAdminCommand(runtime: GraftRuntime, verb: string, args: string, snapshotDir: string): Promise<string> {
  switch (verb) {
    case "@reload": {
      const report = await runtime.reload(args ? args.split(/\s+/) : undefined);
      if (report.errors.length > 0) {
        const details = report.errors.map((error) => error.text.replace(/^/gm, "  ")).join("\n");
        return `Reload failed:\n${details}`;
      }
      return report.files.length + report.removed.length === 0
        ? "Nothing changed on disk."
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
      const rows = runtime.heap.topClasses(15).map((row) => `  ${String(row.count).padStart(7)}  ${row.name}`);
      return `GC: ${before} -> ${after} live objects. Instances by class:\n${rows.join("\n")}`;
    }
    case "@snapshot": {
      if (!hasHeapTools(runtime)) return NOT_YET;
      const file = path.resolve(snapshotDir, `graft-${new Date().toISOString().replace(/[:.]/g, "-")}.heapsnapshot`);
      runtime.heap.write(file);
      return `Heap snapshot written to ${file} (open it in Chrome DevTools > Memory > Load).`;
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
      if (!Number.isInteger(count) || count <= 0 || count > 2_000_000) return "Usage: @populate <count>, a whole number from 1 to 2,000,000, e.g. @populate 100000";
      const started = performance.now();
      const total = populateWorld(runtime, count);
      return `Added ${count} crates in ${(performance.now() - started).toFixed(0)} ms; the storehouse holds ${total}. Try @heap and @leaks.`;
    }
    default:
      return `Unknown wizard command ${verb}. Try ${WIZARD_COMMANDS.map((command) => command.name).join(", ")}.`;
  }
}
