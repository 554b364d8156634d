import { QuickJSContext } from "quickjs-emscripten-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRuntime } from "../host-api/index.js";
import { KERNEL_FILES } from "../runtime/kernel/kernel.js";
import { ReloadEngine } from "../runtime/reload/reload-engine.js";
import { Vm } from "../runtime/vm/vm.js";
import { scriptsFolder } from "./helpers.js";

/**
 * The i-th evalCode of the process (1-based) throws: 1 intrinsics.js, 2 privates.js, then
 * the kernel's files (KERNEL_FILES), values.js, then async.js.
 */
function failEvalCode(failing: number): Error {
  const injected = new Error(`injected: evalCode #${failing} failed`);
  const original = QuickJSContext.prototype.evalCode;
  let calls = 0;
  vi.spyOn(QuickJSContext.prototype, "evalCode").mockImplementation(function (this: QuickJSContext, ...args: Parameters<QuickJSContext["evalCode"]>) {
    calls++;
    if (calls === failing) throw injected;
    return original.apply(this, args);
  });
  return injected;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("createRuntime releases what it made when a step fails", () => {
  const steps: [string, () => Error | undefined, Record<string, unknown>][] = [
    ["the kernel's intrinsics", () => failEvalCode(1), {}],
    ["the kernel's first part", () => failEvalCode(3), {}],
    ["the kernel's joining file", () => failEvalCode(2 + KERNEL_FILES.length), {}],
    ["the kernel's values half", () => failEvalCode(3 + KERNEL_FILES.length), {}],
    ["the timers' in-VM half", () => failEvalCode(4 + KERNEL_FILES.length), {}],
    ["the host module (a value that cannot cross)", () => undefined, { host: { table: new Map() } }],
    [
      "the initial load",
      () => {
        const injected = new Error("injected: loadAll failed");
        vi.spyOn(ReloadEngine.prototype, "loadAll").mockRejectedValue(injected);
        return injected;
      },
      {},
    ],
  ];

  for (const [step, inject, options] of steps) {
    it(`when making ${step} fails`, async () => {
      const folder = await scriptsFolder({ "a.ts": `export class A {}` });
      const vmDisposed = vi.spyOn(Vm.prototype, "dispose");
      const injected = inject();
      const created = createRuntime({ scripts: folder.root, ...options });
      await expect(created).rejects.toThrow(injected ? injected.message : /cannot pass host\.table \(a Map\)/);
      // The VM was made and is released, cleanly: a handle left undisposed would have made
      // QuickJS's own dispose abort (list_empty(&rt->gc_obj_list)).
      expect(vmDisposed.mock.results).toEqual([{ type: "return", value: undefined }]);
      vi.restoreAllMocks();
      // Nothing of it lingers: the next runtime works.
      const next = await createRuntime({ scripts: folder.root });
      expect(next.getClass("a.ts", "A").name).toBe("A");
      next.dispose();
    });
  }
});
