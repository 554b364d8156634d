import { describe, expect, it } from "vitest";
import { growVm, HOG_SCRIPT } from "./grown-vm.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * Issue 8 at the project's scale: 3,000 scripts (one context each, over a million GC
 * objects before anything grows), then the VM memory growing by 300k objects and a 64 MB buffer.
 */

describe("answers over 3,000 scripts after the VM memory grew", () => {
  it("findSubclasses and leaks() over 3,000 command files, before and after growth and after a reload", async () => {
    const files: Record<string, string> = { "commands/base.ts": "export class Command {}", "hog.ts": HOG_SCRIPT };
    for (let i = 0; i < 3000; i++) {
      files[`commands/c${String(i).padStart(4, "0")}.ts`] = `import { Command } from "./base";\nexport class C${i} extends Command { run(): number { return ${i}; } }\n`;
    }
    files["keeper.ts"] = `import { C2 } from "./commands/c0002";\n(globalThis as any).kept ??= C2;\n`;
    const folder = await scriptsFolder(files);
    const runtime = await runtimeFor(folder, { timeout: 20_000 });
    expect(runtime.initialReport.errors).toEqual([]);
    // C2 is retired (its file now defines C2b), and keeper.ts's global holds it.
    await folder.write("commands/c0002.ts", `import { Command } from "./base";\nexport class C2b extends Command {}\n`);
    expect((await runtime.reload(["commands/c0002.ts"])).retired.map((retired) => retired.name)).toEqual(["C2"]);
    const count = (): number => {
      const found = runtime.findSubclasses("commands/base.ts#Command");
      const result = new Set(found.map((cls) => cls.name)).size;
      for (const cls of found) cls.dispose();
      return result;
    };
    expect(count()).toBe(3000);
    growVm(runtime);
    expect(count()).toBe(3000);
    // leaks() reads the whole heap: with 3,000 scripts that is millions of objects, so it is asked once, after growth.
    expect(runtime.leaks().map((leak) => [leak.name, leak.file, leak.version, leak.retired, leak.paths[0]!.text.split("\n").at(-1)])).toEqual([
      ["C2", "commands/c0002.ts", 1, true, "  <- global 'kept' of context keeper.ts   [root]"],
    ]);
    // With dynamic, the heap walk finds the same 3,000 again: each once, in the same order.
    const plain = runtime.findSubclasses("commands/base.ts#Command");
    const dynamic = runtime.findSubclasses("commands/base.ts#Command", { dynamic: true });
    expect(dynamic).toHaveLength(3000);
    expect(dynamic.every((cls, index) => cls.isSame(plain[index]!))).toBe(true);
    for (const cls of [...plain, ...dynamic]) cls.dispose();
    await folder.write("commands/c0001.ts", `import { Command } from "./base";\nexport class C1 extends Command { run(): number { return -1; } }\n`);
    await runtime.reload(["commands/c0001.ts"]);
    expect(count()).toBe(3000);
  });
});
