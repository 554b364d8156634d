import { OP, Reader, SECTION, fail, importedFunctions, isSignature, section, sectionsOf, signatures, signedLeb, unsignedLeb, walkBody, type Section } from "./wasm-bytes.js";

/**
 * A deadline that holds inside QuickJS's C code. QuickJS asks its interrupt handler only
 * between bytecodes, so a call whose time goes into one C builtin (`indexOf` on a long
 * string, a huge bigint's `toString`, `JSON.stringify` of millions of elements, a sort)
 * runs on past any timeout. Before the module is compiled, every `loop` of it gets a
 * countdown at its head: a global decremented on each pass, and every COUNTDOWN passes a
 * look at the clock (the module's own Date.now import) against a deadline global the host
 * arms per call (`graft_deadline`, in Date.now milliseconds; +Infinity when none). Past it,
 * the module sets `graft_stopped` and traps (`unreachable`): no C code runs on, however it
 * loops. A WebAssembly instance stopped in the middle of a C function cannot be trusted, so
 * the VM is then crashed (see wasm-traps.ts); the host arms this deadline later than the
 * cooperative one (the interrupt handler's), so only what that one cannot stop gets here.
 *
 * Found by index and proven by shape like wasm-patch.ts's repair: another build fails loudly.
 */

/** A `br_table` this long is the interpreter's dispatch on opcodes (243 labels in the pinned build; the next longest has 125). */
const DISPATCH_TABLE = 200;
/** Loop passes between two looks at the clock (a few microseconds of C code at most). */
export const COUNTDOWN = 1 << 14;
/** The module's imports as the pinned build names them: Date.now is import "a"."p" (function 14). */
const DATE_NOW = { module: "a", name: "p", index: 14 } as const;
export const DEADLINE_EXPORT = "graft_deadline";
export const STOPPED_EXPORT = "graft_stopped";

const SECTION_IDS = { global: 6, export: 7 } as const;
const TYPE = { i32: 0x7f, f64: 0x7c, func: 0x60 } as const;
const OPS = { unreachable: 0x00, globalGet: 0x23, i32Eqz: 0x45, f64Gt: 0x64, end: 0x0b } as const;

/** The module's bytes with a countdown at the head of every loop (see the module comment). */
export function addLoopDeadline(bytes: Uint8Array): Uint8Array {
  const sections = sectionsOf(bytes);
  const imports = section(sections, SECTION.import);
  const importCount = importedFunctions(bytes, imports);
  checkDateNow(bytes, imports, sections);
  const voidType = typeIndex(bytes, section(sections, SECTION.type), [], []);
  const globals = section(sections, SECTION_IDS.global);
  const globalCount = new Reader(bytes, globals.start).u32();
  const counter = globalCount;
  const deadline = globalCount + 1;
  const stopped = globalCount + 2;
  const functions = section(sections, SECTION.function);
  const functionCount = new Reader(bytes, functions.start).u32();
  const slowPath = importCount + functionCount;

  const countdown = [
    OPS.globalGet, ...unsignedLeb(counter), OPS.i32Eqz, OP.if, OP.void, OP.call, ...unsignedLeb(slowPath), OPS.end,
    OPS.globalGet, ...unsignedLeb(counter), OP.i32Const, 0x7f /* -1 */, OP.i32Add, OP.globalSet, ...unsignedLeb(counter),
  ];
  const slowBody = [
    0, // no locals
    OP.i32Const, ...signedLeb(BigInt(COUNTDOWN)), OP.globalSet, ...unsignedLeb(counter),
    OP.call, ...unsignedLeb(DATE_NOW.index), OPS.globalGet, ...unsignedLeb(deadline), OPS.f64Gt, OP.if, OP.void,
    OP.i32Const, 1, OP.globalSet, ...unsignedLeb(stopped), OPS.unreachable,
    OPS.end,
    OPS.end,
  ];

  const out: Uint8Array[] = [];
  const put = (id: number, content: ArrayLike<number>): void => {
    out.push(Uint8Array.from([id, ...unsignedLeb(content.length)]), content instanceof Uint8Array ? content : Uint8Array.from(content));
  };
  let loops = 0;
  for (const part of sections) {
    const content = bytes.subarray(part.start, part.end);
    if (part.id === SECTION.function) {
      put(part.id, withCount(content, functionCount + 1, unsignedLeb(voidType)));
    } else if (part.id === SECTION_IDS.global) {
      const added = [
        TYPE.i32, 1, OP.i32Const, ...signedLeb(BigInt(COUNTDOWN)), OPS.end,
        TYPE.f64, 1, OP.f64Const, ...f64Bytes(Number.POSITIVE_INFINITY), OPS.end,
        TYPE.i32, 1, OP.i32Const, 0, OPS.end,
      ];
      put(part.id, withCount(content, globalCount + 3, added));
    } else if (part.id === SECTION_IDS.export) {
      const exportCount = new Reader(bytes, part.start).u32();
      put(part.id, withCount(content, exportCount + 2, [...exportEntry(DEADLINE_EXPORT, deadline), ...exportEntry(STOPPED_EXPORT, stopped)]));
    } else if (part.id === SECTION.code) {
      const rewritten = rewriteBodies(bytes, part, functionCount, countdown);
      loops = rewritten.loops;
      put(part.id, concat([unsignedLeb(functionCount + 1), rewritten.bodies, unsignedLeb(slowBody.length), slowBody]));
    } else put(part.id, content);
  }
  if (loops < 1000) fail(`${loops} loops`);
  return concat([bytes.subarray(0, 8), ...out]);
}

function concat(chunks: ArrayLike<number>[]): Uint8Array {
  const result = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let written = 0;
  for (const chunk of chunks) {
    result.set(chunk, written);
    written += chunk.length;
  }
  return result;
}

/**
 * Every function body again, with `countdown` after each loop's block type, except the
 * interpreter's dispatch loop (JS_CallInternal's loop around its `br_table` of every
 * opcode): one pass per bytecode, where the countdown cost a quarter of the time of
 * interpreter-bound code, and what runs bytecode is stopped by the interrupt handler already.
 */
function rewriteBodies(bytes: Uint8Array, code: Section, functionCount: number, countdown: number[]): { bodies: Uint8Array; loops: number } {
  const reader = new Reader(bytes, code.start);
  if (reader.u32() !== functionCount) fail("function and code counts differ");
  // First where each body is and where its loops' heads end, then one copy into a buffer of the right size.
  const starts: number[] = [];
  const ends: number[] = [];
  const heads: number[][] = [];
  let loops = 0;
  let dispatchLoops = 0;
  for (let body = 0; body < functionCount; body++) {
    const size = reader.u32();
    const start = reader.at;
    const inBody: number[] = [];
    // The blocks open at each instruction: for a loop, where its head ends.
    const open: number[] = [];
    walkBody(bytes, start, start + size, (op, at, next) => {
      if (op === OP.loop) {
        inBody.push(next);
        open.push(next);
      } else if (op === OP.block || op === OP.if) open.push(-1);
      else if (op === OPS.end) open.pop();
      else if (op === OP.brTable && new Reader(bytes, at + 1).u32() >= DISPATCH_TABLE) {
        let dispatch = -1;
        for (let i = open.length - 1; i >= 0 && dispatch === -1; i--) dispatch = open[i]!;
        if (dispatch === -1) fail("the interpreter's dispatch table is in no loop");
        inBody.splice(inBody.indexOf(dispatch), 1);
        dispatchLoops++;
      }
    });
    starts.push(start);
    ends.push(start + size);
    heads.push(inBody);
    loops += inBody.length;
    reader.at = start + size;
  }
  if (dispatchLoops !== 1) fail(`${dispatchLoops} interpreter dispatch loops`);
  const out = new Uint8Array(code.end - code.start + loops * countdown.length + functionCount * 5);
  const insert = Uint8Array.from(countdown);
  let written = 0;
  for (let body = 0; body < functionCount; body++) {
    const start = starts[body]!;
    const end = ends[body]!;
    const size = unsignedLeb(end - start + heads[body]!.length * insert.length);
    out.set(size, written);
    written += size.length;
    let copied = start;
    for (const head of heads[body]!) {
      out.set(bytes.subarray(copied, head), written);
      written += head - copied;
      out.set(insert, written);
      written += insert.length;
      copied = head;
    }
    out.set(bytes.subarray(copied, end), written);
    written += end - copied;
  }
  return { bodies: out.subarray(0, written), loops };
}

/** A vector section's content with its count replaced and `added` entries appended. */
function withCount(content: Uint8Array, count: number, added: number[]): Uint8Array {
  const reader = new Reader(content, 0);
  reader.u32();
  return concat([unsignedLeb(count), content.subarray(reader.at), added]);
}

function exportEntry(name: string, globalIndex: number): number[] {
  const utf8 = Array.from(new TextEncoder().encode(name));
  return [...unsignedLeb(utf8.length), ...utf8, 3 /* global */, ...unsignedLeb(globalIndex)];
}

function f64Bytes(value: number): number[] {
  return Array.from(new Uint8Array(new Float64Array([value]).buffer));
}

/** The index of the first function type with these params and results (the build has `() -> ()`). */
function typeIndex(bytes: Uint8Array, types: Section, params: number[], results: number[]): number {
  const index = signatures(bytes, types).findIndex((signature) => isSignature(signature, params, results));
  return index >= 0 ? index : fail(`no function type (${params.join()}) -> (${results.join()})`);
}

/** Import DATE_NOW.index is `a.p`, of type () -> f64 (emscripten's emscripten_date_now). */
function checkDateNow(bytes: Uint8Array, imports: Section, sections: Section[]): void {
  const reader = new Reader(bytes, imports.start);
  const decoder = new TextDecoder();
  const name = (): string => {
    const length = reader.u32();
    const text = decoder.decode(bytes.subarray(reader.at, reader.at + length));
    reader.at += length;
    return text;
  };
  let functionIndex = 0;
  for (let count = reader.u32(); count > 0; count--) {
    const module = name();
    const field = name();
    const kind = reader.byte();
    if (kind !== 0) return fail("an import before Date.now that is not a function");
    const type = reader.u32();
    if (functionIndex === DATE_NOW.index) {
      if (module !== DATE_NOW.module || field !== DATE_NOW.name) fail("Date.now is not where graft expects it");
      if (!isSignature(signatures(bytes, section(sections, SECTION.type))[type], [], [TYPE.f64])) fail("Date.now is of another type");
      return;
    }
    functionIndex++;
  }
  fail("no Date.now import");
}
