import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createRuntime } from "../host-api/index.js";
import { compileCacheStats } from "../runtime/compile/compile-cache.js";
import { scriptsFolder } from "./helpers.js";

// The process keeps what compiling each text gave (runtime/compile/compile-cache.ts): runtimes
// over the same folder (shards, a restarted runtime) and a file saved back to an earlier
// text compile nothing again, and nothing they load, fail or run differs.

/** Scripts whose texts no other test compiled (a comment with a fresh id in each). */
function uniqueFiles(): Record<string, string> {
  const id = `// ${randomUUID()}\n`;
  return {
    "base.ts": `${id}export class Command {\n  run(): string { return "base"; }\n}\nexport const greeting: string = "hi";\n`,
    "greet.ts": `${id}import { Command, greeting } from "./base";\nexport class Greet extends Command {\n  static verbs = ["greet"];\n  run(): string { return greeting + " there"; }\n}\n`,
    "broken.ts": `${id}export function f( {\n`,
    "waits.ts": `${id}import { f } from "./broken";\nexport const w = f;\n`,
  };
}

describe("the compile cache", () => {
  it("a second runtime over the same folder compiles no script again, and loads, fails and runs as the first", async () => {
    const folder = await scriptsFolder(uniqueFiles());
    const before = compileCacheStats().hits;
    const first = await createRuntime({ scripts: folder.root });
    const afterFirst = compileCacheStats().hits;
    const second = await createRuntime({ scripts: folder.root });
    try {
      expect(afterFirst - before, "fresh texts are compiled").toBe(0);
      expect(compileCacheStats().hits - afterFirst, "every file of the second runtime came from the cache").toBe(4);
      expect(second.files()).toEqual(first.files());
      expect(second.files()).toEqual(["base.ts", "greet.ts"]);
      const failures = (runtime: typeof first) => runtime.failures().map((failure) => failure.text);
      expect(failures(second)).toEqual(failures(first));
      expect(failures(second).join("\n")).toMatch(/broken\.ts:3:1: syntax error/);
      expect(second.getClass("greet.ts", "Greet").new().call("run").toHost()).toBe("hi there");
      expect(second.getClass("greet.ts", "Greet").new().call("run").toHost()).toBe(first.getClass("greet.ts", "Greet").new().call("run").toHost());
    } finally {
      first.dispose();
      second.dispose();
    }
  });

  it("a file saved back to a text it had comes from the cache; a new text is compiled and runs", async () => {
    const files = uniqueFiles();
    const folder = await scriptsFolder(files);
    const runtime = await createRuntime({ scripts: folder.root });
    try {
      const greet = runtime.getClass("greet.ts", "Greet").new();
      const original = files["greet.ts"]!;
      let hits = compileCacheStats().hits;
      await folder.write("greet.ts", original.replace('" there"', '" again"'));
      expect((await runtime.reload(["greet.ts"])).ok).toBe(true);
      expect(compileCacheStats().hits - hits, "a new text is compiled").toBe(0);
      expect(greet.call("run").toHost()).toBe("hi again");
      hits = compileCacheStats().hits;
      await folder.write("greet.ts", original);
      expect((await runtime.reload(["greet.ts"])).ok).toBe(true);
      expect(compileCacheStats().hits - hits, "the earlier text came from the cache").toBe(1);
      expect(greet.call("run").toHost()).toBe("hi there");
    } finally {
      runtime.dispose();
    }
  });

  it("other compile options compile the same texts again", async () => {
    const folder = await scriptsFolder(uniqueFiles());
    const standard = await createRuntime({ scripts: folder.root });
    const hits = compileCacheStats().hits;
    const legacy = await createRuntime({ scripts: folder.root, decorators: "legacy" });
    try {
      expect(compileCacheStats().hits - hits).toBe(0);
      expect(legacy.files()).toEqual(standard.files());
    } finally {
      standard.dispose();
      legacy.dispose();
    }
  });
});
