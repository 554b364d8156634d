import path from "node:path";
import type { GraftRuntime } from "graft";

/** Heap features arrive with graft's heap tools; until then the commands say so. */
interface HeapTools {
  leaks(): { text: string }[];
  heap: { write(file: string): void; topClasses?(limit: number): { name: string; file?: string; count: number }[] };
}

function heapTools(runtime: GraftRuntime): HeapTools | undefined {
  const candidate = runtime as unknown as Partial<HeapTools>;
  return typeof candidate.leaks === "function" && candidate.heap ? (candidate as HeapTools) : undefined;
}

const NOT_YET = "Heap inspection is not available yet in this graft build.";

/** Wizard commands: @reload, @leaks, @heap, @snapshot. */
export async function runAdminCommand(runtime: GraftRuntime, verb: string, args: string, snapshotDir: string): Promise<string> {
  switch (verb) {
    case "@reload": {
      const report = await runtime.reload(args ? args.split(/\s+/) : undefined);
      if (report.errors.length > 0) {
        const details = report.errors.map((error) => error.text.replace(/^/gm, "  ")).join("\n");
        return `Reload failed, previous version kept:\n${details}`;
      }
      return report.files.length + report.removed.length === 0
        ? "Nothing changed on disk."
        : `Reloaded ${[...report.files, ...report.removed].join(", ")} in ${report.durationMs.toFixed(1)} ms.`;
    }
    case "@leaks": {
      const tools = heapTools(runtime);
      if (!tools) return NOT_YET;
      const leaks = tools.leaks();
      return leaks.length === 0 ? "No leaks: no retired class version is alive after a full GC." : leaks.map((leak) => leak.text).join("\n\n");
    }
    case "@heap": {
      const tools = heapTools(runtime);
      if (!tools?.heap.topClasses) return NOT_YET;
      const { before, after } = runtime.gc();
      const rows = tools.heap.topClasses(15).map((row) => `  ${String(row.count).padStart(7)}  ${row.name}${row.file ? ` (${row.file})` : ""}`);
      return `GC: ${before} -> ${after} live objects. Instances by class:\n${rows.join("\n")}`;
    }
    case "@snapshot": {
      const tools = heapTools(runtime);
      if (!tools) return NOT_YET;
      const file = path.resolve(snapshotDir, `graft-${new Date().toISOString().replace(/[:.]/g, "-")}.heapsnapshot`);
      tools.heap.write(file);
      return `Heap snapshot written to ${file} (open it in Chrome DevTools > Memory > Load).`;
    }
    default:
      return `Unknown wizard command ${verb}. Try @reload, @leaks, @heap, @snapshot.`;
  }
}
