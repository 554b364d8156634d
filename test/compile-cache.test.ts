import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createRuntime } from "../host-api/index.js";
import { compileCacheStats, TEXTS_KEPT_PER_FILE } from "../runtime/compile/compile-cache.js";
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

  it(`a file edited many times keeps its ${TEXTS_KEPT_PER_FILE} latest texts, not every edit (the host heap does not grow per reload)`, async () => {
    // A name no other test compiles: texts are kept per file name and compile options.
    const name = `edited-${randomUUID().slice(0, 8)}.ts`;
    const edit = (n: number) => `export class Edited {\n  run(): string { return "edit ${n}"; }\n}\n`;
    const folder = await scriptsFolder({ ...uniqueFiles(), [name]: edit(0) });
    const runtime = await createRuntime({ scripts: folder.root });
    try {
      const edited = runtime.getClass(name, "Edited").new();
      const kept = compileCacheStats().size;
      for (let n = 1; n <= 12; n++) {
        await folder.write(name, edit(n));
        expect((await runtime.reload([name])).ok).toBe(true);
      }
      expect(edited.call("run").toHost()).toBe("edit 12");
      // Its start-up text was one of the file's kept texts: 12 edits later, the latest ones are.
      expect(compileCacheStats().size - kept).toBe(TEXTS_KEPT_PER_FILE - 1);
      let hits = compileCacheStats().hits;
      const oldestKept = 12 - TEXTS_KEPT_PER_FILE + 1;
      await folder.write(name, edit(oldestKept));
      expect((await runtime.reload([name])).ok).toBe(true);
      expect(compileCacheStats().hits - hits, "the oldest kept text came from the cache").toBe(1);
      expect(edited.call("run").toHost()).toBe(`edit ${oldestKept}`);
      // That hit made it the most recently used: the next oldest (edit 10) is dropped by a new text...
      await folder.write(name, edit(100));
      expect((await runtime.reload([name])).ok).toBe(true);
      hits = compileCacheStats().hits;
      await folder.write(name, edit(oldestKept + 1));
      expect((await runtime.reload([name])).ok).toBe(true);
      expect(compileCacheStats().hits - hits, "a text dropped from the kept ones is compiled again").toBe(0);
      expect(edited.call("run").toHost()).toBe(`edit ${oldestKept + 1}`);
      // ...and the one used again is still kept.
      hits = compileCacheStats().hits;
      await folder.write(name, edit(oldestKept));
      expect((await runtime.reload([name])).ok).toBe(true);
      expect(compileCacheStats().hits - hits, "the text used again was kept").toBe(1);
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
