import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VmCallError } from "../runtime/kernel/kernel.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const KERNEL_LINES = readFileSync(new URL("../runtime/kernel/vm/kernel.js", import.meta.url), "utf8").split("\n");

describe("the in-VM kernel as source", () => {
  it("names its own file and real line in a VM stack", async () => {
    const runtime = await runtimeFor(await scriptsFolder({ "a.ts": "export class A {}" }));
    runtime.kernel.begin();
    let thrown: unknown;
    try {
      runtime.kernel.begin();
    } catch (error) {
      thrown = error;
    } finally {
      runtime.kernel.rollback();
    }
    expect(thrown).toBeInstanceOf(VmCallError);
    const stack = String((thrown as VmCallError & { vmError: { stack?: string } }).vmError.stack);
    const frame = /at begin \(graft:runtime\/kernel\/vm\/kernel\.js:(\d+):\d+\)/.exec(stack);
    expect(frame, stack).not.toBeNull();
    expect(KERNEL_LINES[Number(frame![1]) - 1]).toContain("a reload transaction is already open");
  });
});
