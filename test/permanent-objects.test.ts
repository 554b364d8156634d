import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSSyncVariant, type QuickJSWASMModule } from "quickjs-emscripten-core";
import releaseSyncVariant from "@jitl/quickjs-wasmfile-release-sync";
import { collect, countGcObjects, forceFullGc, gcTargetOf } from "../runtime/heap/gc.js";
import { BYTECODE, CLOSURE_VAR, contextPointerOf, heapTargetOf, OBJECT } from "../runtime/heap/layout.js";
import { VmMemory } from "../runtime/heap/memory.js";
import { CLOSURE_VAR_CONST, findPermanentObjects } from "../runtime/heap/permanent-objects.js";
import { createRuntime } from "../host-api/index.js";
import { readdirSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

/** The kernel realm's permanent objects (runtime/heap/permanent-objects.ts), left out of each collection's walk (gc.ts). */

let quickjs: QuickJSWASMModule;
let runtime: QuickJSRuntime;

beforeAll(async () => {
  quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant as unknown as QuickJSSyncVariant);
  runtime = quickjs.newRuntime();
});

afterAll(() => runtime.dispose());

const memoryOf = (rt: QuickJSRuntime) => {
  const target = heapTargetOf(rt);
  return new VmMemory(target.module.HEAPU8, target.rtPointer);
};
/** The JSObject* of an object handle. */
const addressOf = (rt: QuickJSRuntime, handle: QuickJSHandle) => memoryOf(rt).u32((handle as unknown as { value: number }).value);

function evalHandle(context: QuickJSContext, code: string): QuickJSHandle {
  return context.unwrapResult(context.evalCode(code));
}

describe("permanent objects", () => {
  it("reads this build's const flag of a closure variable (const set; let, var, function and class not)", () => {
    const context = runtime.newContext();
    try {
      const inner = evalHandle(context, "(function () { const a = {}; let b = {}; var v = {}; function c() {} class K {} return function inner() { return [a, b, v, c, K]; }; })()");
      const memory = memoryOf(runtime);
      const bytecode = memory.u32(addressOf(runtime, inner) + OBJECT.funcBytecode);
      const vars = memory.u32(bytecode + BYTECODE.closureVar);
      const flags = new Map<string, boolean>();
      for (let i = 0; i < memory.i32(bytecode + BYTECODE.closureVarCount); i++) {
        const entry = vars + i * CLOSURE_VAR.stride;
        flags.set(memory.atom(memory.u32(entry + CLOSURE_VAR.varName)), (memory.u8(entry) & CLOSURE_VAR_CONST) !== 0);
      }
      expect(Object.fromEntries(flags)).toEqual({ a: true, b: false, v: false, c: false, K: false });
      inner.dispose();
    } finally {
      context.dispose();
    }
  });

  it("follows only references that cannot change: const bindings, frozen properties, closures' bytecode; never a let, a writable property or a global var", () => {
    const context = runtime.newContext();
    try {
      const values = evalHandle(
        context,
        `const kept = { k: 1 };
         let notKept = { n: 1 };
         var globalVar = { g: 1 };
         const frozen = Object.freeze({ inner: { i: 1 }, get g() { return 1; } });
         const open = { writable: { w: 1 } };
         const closure = (() => { const held = { h: 1 }; let loose = { l: 1 }; return () => [held, loose]; })();
         Object.freeze(globalThis);
         Object.freeze(Array.prototype);
         [kept, notKept, globalVar, frozen.inner, open.writable, closure, closure()[0], closure()[1], Array.prototype.push, Object.getOwnPropertyDescriptor(frozen, "g").get]`,
      );
      const names = ["kept", "notKept", "globalVar", "frozen.inner", "open.writable", "closure", "held", "loose", "Array.prototype.push", "getter"];
      const found = findPermanentObjects(memoryOf(runtime), contextPointerOf(context));
      const permanent = new Set(found.addresses);
      const answer: Record<string, boolean> = {};
      names.forEach((name, i) => {
        const item = context.getProp(values, i);
        answer[name] = permanent.has(addressOf(runtime, item));
        item.dispose();
      });
      values.dispose();
      expect(found.lockedDown).toBe(true);
      expect(answer).toEqual({
        kept: true, notKept: false, globalVar: false, "frozen.inner": true, "open.writable": false,
        closure: true, held: true, loose: false, "Array.prototype.push": true, getter: true,
      });
    } finally {
      context.dispose();
    }
  });

  it("a collection with them set aside walks the rest only, frees the same garbage and leaves the list whole", () => {
    const context = runtime.newContext();
    try {
      evalHandle(context, "const keep = []; for (let i = 0; i < 50; i++) keep.push({ i }); Object.freeze(globalThis);").dispose();
      const permanent = findPermanentObjects(memoryOf(runtime), contextPointerOf(context));
      expect(permanent.addresses.length).toBeGreaterThan(20);
      // 1,000 garbage cycles, some through permanent objects' referents.
      evalHandle(context, "for (let i = 0; i < 1000; i++) { const a = { keep }; const b = { a, proto: Array.prototype }; a.b = b; }").dispose();
      const target = gcTargetOf(runtime, context);
      let walked = -1;
      const probe = target.allocateProbe;
      const total = countGcObjects(target);
      const counts = collect({ ...target, allocateProbe: () => { walked = countGcObjects(target); probe(); } }, undefined, permanent);
      expect(counts.permanentValid).toBe(true);
      expect(walked).toBe(total - permanent.addresses.length);
      expect(counts.before).toBe(total);
      expect(counts.before - counts.after).toBeGreaterThanOrEqual(2000);
      expect(countGcObjects(target)).toBe(counts.after);
      // Every one back in the list, with its own references only: a full collection without them frees nothing more.
      const listed = new Set<number>();
      memoryOf(runtime).forEachGcObject((address) => listed.add(address));
      for (const address of permanent.addresses) expect(listed.has(address)).toBe(true);
      expect(forceFullGc(target)).toBe(true);
      expect(countGcObjects(target)).toBe(counts.after);
      expect(evalHandle(context, "keep.length + [1, 2].map((x) => x * 2)[1]").consume((h) => context.getNumber(h))).toBe(54);
    } finally {
      context.dispose();
    }
  });

  it("in code that assigns no declaration, a closure's function declarations are followed; never a catch, parameter or let binding", () => {
    const context = runtime.newContext();
    try {
      const code = `"use strict"; (function () { function declared() {} let loose = {}; let r; try { throw {}; } catch (caught) { r = function (param) { return [declared, loose, caught, param]; }; } return [r, declared, loose, r()[2]]; })()`;
      const answer = (trusted: boolean) => {
        const values = context.unwrapResult(context.evalCode(code, "trusted.js"));
        const root = context.getProp(values, 0);
        const found = new Set(findPermanentObjects(memoryOf(runtime), contextPointerOf(context), { roots: [addressOf(runtime, root)], fixedDeclarations: (file) => trusted && file === "trusted.js" }).addresses);
        root.dispose();
        const named = Object.fromEntries(["closure", "declared", "loose", "caught"].map((name, i) => [name, context.getProp(values, i).consume((h) => found.has(addressOf(runtime, h)))]));
        values.dispose();
        return named;
      };
      expect(answer(true)).toEqual({ closure: true, declared: true, loose: false, caught: false });
      expect(answer(false)).toEqual({ closure: true, declared: false, loose: false, caught: false });
    } finally {
      context.dispose();
    }
  });

  it("graft's in-VM code assigns no declaration: it declares no var, and its type-check (which refuses assigning a function, TS2630) passes", () => {
    const folder = new URL("../runtime/kernel/vm/", import.meta.url);
    for (const file of readdirSync(folder).filter((name) => name.endsWith(".js"))) {
      const code = readFileSync(new URL(file, folder), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
      expect(code.match(/(^|[^\w$.])var\s/m), file).toBeNull();
    }
    const tsc = new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname;
    const checked = spawnSync(process.execPath, [tsc, "-p", new URL("tsconfig.json", folder).pathname], { encoding: "utf8" });
    expect(checked.stdout + checked.stderr).toBe("");
    expect(checked.status).toBe(0);
  }, 60_000);
});

describe("graft's gc()", () => {
  it("sets aside what the lockdown froze or tamed, even what only the global's variables lead to (held by the lockdown's own frozen list)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "graft-permanent-"));
    // The kernel realm's intrinsics that only its global's variables lead to (scripts cannot run code there: the host reads them).
    writeFileSync(path.join(dir, "a.ts"), "export class A {}\n");
    const graft = await createRuntime({ scripts: dir });
    try {
      const inspector = (graft as unknown as { heapTools: { inspector: { permanent?: { addresses: Uint32Array }; target: ReturnType<typeof gcTargetOf> } } }).heapTools.inspector;
      graft.heap.gc();
      const permanent = new Set(inspector.permanent!.addresses);
      const kernelContext = (graft as unknown as { kernelContext: QuickJSContext }).kernelContext;
      const memory = new VmMemory(inspector.target.module.HEAPU8, inspector.target.rtPointer);
      const found = ["Math", "Reflect.ownKeys", "Object.prototype.toString", "Date"].map((expression) => {
        const handle = kernelContext.unwrapResult(kernelContext.evalCode(expression));
        const address = memory.u32((handle as unknown as { value: number }).value);
        handle.dispose();
        return permanent.has(address);
      });
      expect(found).toEqual([true, true, true, true]);
    } finally {
      graft.dispose();
    }
  });

  it("leaves the kernel realm's permanent objects out of its walk; counts and frees as before; dispose stays clean", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "graft-permanent-"));
    writeFileSync(path.join(dir, "a.ts"), "export class A { n = 1; }\nexport const a = new A();\n");
    const graft = await createRuntime({ scripts: dir });
    try {
      const inspector = (graft as unknown as { heapTools: { inspector: { permanent?: { addresses: Uint32Array; lockedDown: boolean }; target: ReturnType<typeof gcTargetOf> } } }).heapTools.inspector;
      graft.heap.gc();
      const permanent = inspector.permanent!;
      expect(permanent.lockedDown).toBe(true);
      expect(permanent.addresses.length).toBeGreaterThan(800);
      const listed = countGcObjects(inspector.target);
      // Made alive, then let go at once (no allocation that could run QuickJS's own collection between).
      graft.evaluate("a.ts", "globalThis.held = []; for (let i = 0; i < 5000; i++) { const x = { a }; const y = { x }; x.y = y; held.push(x); }").dispose();
      graft.evaluate("a.ts", "globalThis.held = null").dispose();
      const swept = graft.heap.gc();
      expect(swept.before - swept.after).toBeGreaterThanOrEqual(10_000);
      expect(swept.after).toBe(countGcObjects(inspector.target));
      expect(Math.abs(swept.after - listed)).toBeLessThan(50);
      expect(graft.heap.gc()).toEqual({ before: swept.after, after: swept.after });
      expect(inspector.permanent).toBe(permanent);
    } finally {
      graft.dispose();
    }
  });
});
