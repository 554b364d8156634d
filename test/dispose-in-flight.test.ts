import { describe, expect, it } from "vitest";
import { createRuntime } from "../host-api/index.js";
import { scriptsFolder } from "./helpers.js";

describe("dispose() while a reload is under way (issue 8 item 3)", () => {
  it("the reload rejects saying the runtime was disposed, and nothing aborts", async () => {
    const folder = await scriptsFolder({ "a.ts": "export class A { v(): number { return 1; } }" });
    const runtime = await createRuntime({ scripts: folder.root });
    const held = runtime.getClass("a.ts", "A");
    await folder.write("a.ts", "export class A { v(): number { return 2; } }");
    const reloading = runtime.reload(["a.ts"]);
    await Promise.resolve();
    runtime.dispose();
    await expect(reloading).rejects.toThrow(/disposed while this reload was under way; nothing was applied|has been disposed/);
    expect(() => held.new()).toThrow(/disposed/);
    expect(() => runtime.files()).toThrow(/disposed/);
  });
});
