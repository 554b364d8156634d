import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

/** Every TypeScript module under `folder`, with the modules of this repo it imports (types included). */
function importGraph(folders: string[]): Map<string, string[]> {
  const files = folders.flatMap((folder) =>
    readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
      .filter((name) => /\.c?ts$/.test(name))
      .map((name) => path.posix.join(folder, name.split(path.sep).join("/"))),
  );
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(path.join(ROOT, file), "utf8");
    const targets = [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gm)].map((match) =>
      path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]!.replace(/\.js$/, ".ts").replace(/\.cjs$/, ".cts"))),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** Import cycles (strongly connected groups of more than one module, or a module importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== file);
      if (group.length > 1 || graph.get(file)!.includes(file)) found.push(group.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe("layers", () => {
  const graph = importGraph(["runtime", "host-api"]);

  it("sees the modules it checks", () => {
    expect(graph.get("host-api/runtime.ts")).toContain("runtime/reload/reload-engine.ts");
    expect(graph.get("host-api/bridge.ts")).toContain("host-api/script-value.ts");
  });

  it("runtime/ never imports host-api/ (the API is built on the runtime, not the reverse)", () => {
    const upward = [...graph].flatMap(([file, targets]) => (file.startsWith("runtime/") ? targets.filter((target) => target.startsWith("host-api/")).map((target) => `${file} -> ${target}`) : []));
    expect(upward).toEqual([]);
  });

  it("no module imports itself back through others", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("no source file in runtime/ or host-api/ is over 600 lines, and runtime/ has at most six loose files (the tree shows the parts)", () => {
    const sources = ["runtime", "host-api"].flatMap((folder) =>
      readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
        .filter((name) => /\.(c?ts|js)$/.test(name))
        .map((name) => path.posix.join(folder, name.split(path.sep).join("/"))),
    );
    expect(sources.length).toBeGreaterThan(50);
    const long = sources.filter((file) => readFileSync(path.join(ROOT, file), "utf8").split("\n").length > 600);
    expect(long).toEqual([]);
    const loose = readdirSync(path.join(ROOT, "runtime"), { withFileTypes: true }).filter((entry) => entry.isFile());
    expect(loose.length).toBeLessThanOrEqual(6);
  });
});
