/**
 * One repair to the pinned QuickJS build, made to its WebAssembly bytes before they are
 * compiled: QuickJS's `build_backtrace(ctx, error_obj, ...)` is called with
 * `rt->current_exception` as `error_obj` without holding a reference to it (from the
 * interpreter's exception path and from the parser's syntax errors). When an allocation
 * inside it fails (the VM is out of memory), QuickJS throws "out of memory", and throwing
 * frees the current exception: `error_obj` itself. build_backtrace then defines `stack` on
 * the freed object, whose shape pointer is NULL, and the instance traps ("memory access
 * out of bounds"): the whole VM is lost to an ordinary out-of-memory in a script that
 * catches it (or in the compiler, adding one file too many).
 *
 * The repair adds one function, `guarded_build_backtrace`, that holds a reference to
 * `error_obj` across the original (JS_DupValue before, JS_FreeValue after), and points
 * every call of build_backtrace at it. An error whose backtrace could not be built is then
 * replaced as QuickJS meant (by the "out of memory" error, or null), and the script gets a
 * catchable out-of-memory instead of a dead VM.
 *
 * The build is pinned (@jitl/quickjs-wasmfile-release-sync 0.32.0), so the functions are
 * found by index and proven by their shape: a different build fails loudly here.
 */

/** build_backtrace and JS_FreeValue in the pinned build's function index space. */
const BUILD_BACKTRACE = 348;
const FREE_VALUE = 19;
/** How many calls of build_backtrace the pinned build has (interpreter, parser, modules, Error, throw). */
const BUILD_BACKTRACE_CALLS = 5;
/** JSValue tags above this one (as the high word, NaN-boxed) are objects: tag JS_TAG_OBJECT (-1). */
const OBJECT_TAG_FLOOR = -4294967296n;

const SECTION = { type: 1, import: 2, function: 3, code: 10 } as const;
const OP = {
  block: 0x02, loop: 0x03, if: 0x04, brTable: 0x0e, br: 0x0c, brIf: 0x0d, end: 0x0b, call: 0x10, callIndirect: 0x11,
  selectTyped: 0x1c, localGet: 0x20, localTee: 0x22, globalSet: 0x24, i32Load: 0x28, i64StoreLast: 0x3e, memorySize: 0x3f,
  memoryGrow: 0x40, i32Const: 0x41, i64Const: 0x42, f32Const: 0x43, f64Const: 0x44, i32Store: 0x36, i64GeU: 0x5a,
  i32Add: 0x6a, i32WrapI64: 0xa7, prefixFc: 0xfc, prefixSimd: 0xfd, void: 0x40,
} as const;

function fail(what: string): never {
  throw new Error(`graft: the QuickJS WebAssembly module is not the build graft repairs (${what}); graft needs exactly @jitl/quickjs-wasmfile-release-sync 0.32.0`);
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
  ) {}
  byte(): number {
    if (this.at >= this.bytes.length) fail("truncated");
    return this.bytes[this.at++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }
  /** A signed LEB128 integer, skipped. */
  skipSigned(): void {
    while (this.byte() & 0x80);
  }
  /** Skips a length-prefixed run of bytes (a name). */
  skipBytes(): void {
    const length = this.u32();
    this.at += length;
  }
}

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function signedLeb(value: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    if ((value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

interface Section {
  id: number;
  /** Where its content starts and ends in the module. */
  start: number;
  end: number;
}

function sectionsOf(bytes: Uint8Array): Section[] {
  const reader = new Reader(bytes, 8);
  const sections: Section[] = [];
  while (reader.at < bytes.length) {
    const id = reader.byte();
    const size = reader.u32();
    sections.push({ id, start: reader.at, end: reader.at + size });
    reader.at += size;
  }
  return sections;
}

function section(sections: Section[], id: number): Section {
  const found = sections.find((candidate) => candidate.id === id);
  if (!found) fail(`no section ${id}`);
  return found;
}

/** How many functions the module imports (they come first in the function index space). */
function importedFunctions(bytes: Uint8Array, imports: Section): number {
  const reader = new Reader(bytes, imports.start);
  let functions = 0;
  for (let count = reader.u32(); count > 0; count--) {
    reader.skipBytes();
    reader.skipBytes();
    const kind = reader.byte();
    if (kind === 0) {
      reader.u32();
      functions++;
    } else if (kind === 1) {
      reader.byte();
      const flags = reader.u32();
      reader.u32();
      if (flags & 1) reader.u32();
    } else if (kind === 2) {
      const flags = reader.u32();
      reader.u32();
      if (flags & 1) reader.u32();
    } else if (kind === 3) {
      reader.byte();
      reader.byte();
    } else fail(`import kind ${kind}`);
  }
  return functions;
}

/** The offsets (of the index operand) of every `call target` in a function body. */
function callsIn(bytes: Uint8Array, start: number, end: number, target: number): number[] {
  const reader = new Reader(bytes, start);
  for (let groups = reader.u32(); groups > 0; groups--) {
    reader.u32();
    reader.byte();
  }
  const calls: number[] = [];
  while (reader.at < end) {
    const op = reader.byte();
    if (op === OP.block || op === OP.loop || op === OP.if) {
      const type = bytes[reader.at]!;
      if (type === OP.void || (type >= 0x7b && type <= 0x7f)) reader.at++;
      else reader.skipSigned();
    } else if (op === OP.br || op === OP.brIf || (op >= OP.localGet && op <= OP.globalSet)) reader.u32();
    else if (op === OP.brTable) {
      for (let labels = reader.u32() + 1; labels > 0; labels--) reader.u32();
    } else if (op === OP.call) {
      const at = reader.at;
      if (reader.u32() === target) calls.push(at);
    } else if (op === OP.callIndirect) {
      reader.u32();
      reader.u32();
    } else if (op === OP.selectTyped) reader.skipBytes();
    else if (op >= OP.i32Load && op <= OP.i64StoreLast) {
      reader.u32();
      reader.u32();
    } else if (op === OP.memorySize || op === OP.memoryGrow) reader.byte();
    else if (op === OP.i32Const || op === OP.i64Const) reader.skipSigned();
    else if (op === OP.f32Const) reader.at += 4;
    else if (op === OP.f64Const) reader.at += 8;
    else if (op === OP.prefixFc) skipPrefixed(reader);
    else if (op === OP.prefixSimd || op === 0x12 || op === 0x13 || (op >= 0x06 && op <= 0x0a) || op === 0x25 || op === 0x26 || op >= 0xd0) {
      fail(`an instruction graft does not decode (0x${op.toString(16)})`);
    }
  }
  if (reader.at !== end || bytes[end - 1] !== OP.end) fail("a function body that does not decode");
  return calls;
}

function skipPrefixed(reader: Reader): void {
  const sub = reader.u32();
  if (sub <= 7) return; // saturating truncations
  if (sub === 8) {
    reader.u32();
    reader.byte();
  } else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) reader.u32();
  else if (sub === 10 || sub === 12 || sub === 14) {
    reader.u32();
    reader.u32();
  } else if (sub === 11) reader.byte();
  else fail(`an instruction graft does not decode (0xfc ${sub})`);
}

/** The added function: dup error_obj, call build_backtrace, free error_obj. */
function guardedBody(): number[] {
  const isObject = [OP.localGet, 1, OP.i64Const, ...signedLeb(OBJECT_TAG_FLOOR), OP.i64GeU];
  const code = [
    // One extra local (i32): the object's address.
    1, 1, 0x7f,
    ...isObject, OP.if, OP.void,
    // ref_count is the object's first word.
    OP.localGet, 1, OP.i32WrapI64, OP.localTee, 6, OP.localGet, 6, OP.i32Load, 2, 0, OP.i32Const, 1, OP.i32Add, OP.i32Store, 2, 0,
    OP.end,
    OP.localGet, 0, OP.localGet, 1, OP.localGet, 2, OP.localGet, 3, OP.localGet, 4, OP.localGet, 5, OP.call, ...unsignedLeb(BUILD_BACKTRACE),
    ...isObject, OP.if, OP.void,
    OP.localGet, 0, OP.localGet, 1, OP.call, ...unsignedLeb(FREE_VALUE),
    OP.end,
    OP.end,
  ];
  return [...unsignedLeb(code.length), ...code];
}

/** The module's bytes with build_backtrace's callers repaired (see the module comment). */
export function repairQuickJSWasm(bytes: Uint8Array): Uint8Array {
  const sections = sectionsOf(bytes);
  const imports = importedFunctions(bytes, section(sections, SECTION.import));
  const functions = section(sections, SECTION.function);
  const code = section(sections, SECTION.code);

  const functionReader = new Reader(bytes, functions.start);
  const functionCount = functionReader.u32();
  const typesAt = functionReader.at;
  const typeOf = (index: number): number => {
    const reader = new Reader(bytes, typesAt);
    for (let i = 0; i < index - imports; i++) reader.u32();
    return reader.u32();
  };
  const buildBacktraceType = typeOf(BUILD_BACKTRACE);
  checkType(bytes, section(sections, SECTION.type), buildBacktraceType, [0x7f, 0x7e, 0x7f, 0x7f, 0x7f, 0x7f], []);
  checkType(bytes, section(sections, SECTION.type), typeOf(FREE_VALUE), [0x7f, 0x7e], []);
  const guardedIndex = imports + functionCount;
  const oldCall = unsignedLeb(BUILD_BACKTRACE);
  const newCall = unsignedLeb(guardedIndex);
  if (oldCall.length !== newCall.length) fail("function index sizes");

  const body = guardedBody();
  // Room for the body, the function entry and section sizes that grow by a byte or two.
  const out = new Uint8Array(bytes.length + body.length + 32);
  let written = 0;
  const put = (chunk: ArrayLike<number>): void => {
    out.set(chunk, written);
    written += chunk.length;
  };
  const codeReader = new Reader(bytes, code.start);
  const bodies = codeReader.u32();
  if (bodies !== functionCount) fail("function and code counts differ");
  const patches: number[] = [];
  for (let body = 0; body < bodies; body++) {
    const size = codeReader.u32();
    const start = codeReader.at;
    if (body === BUILD_BACKTRACE - imports) checkBuildBacktrace(bytes, start);
    patches.push(...callsIn(bytes, start, start + size, BUILD_BACKTRACE));
    codeReader.at = start + size;
  }
  if (patches.length !== BUILD_BACKTRACE_CALLS) fail(`${patches.length} calls of build_backtrace`);

  const newFunctionEntry = unsignedLeb(buildBacktraceType);
  put(bytes.subarray(0, 8));
  for (const part of sections) {
    if (part.id === SECTION.function) {
      const content = [...unsignedLeb(functionCount + 1), ...bytes.subarray(typesAt, part.end), ...newFunctionEntry];
      put([part.id, ...unsignedLeb(content.length)]);
      put(content);
    } else if (part.id === SECTION.code) {
      const countBytes = unsignedLeb(bodies);
      const rest = bytes.slice(code.start + countBytes.length, part.end);
      for (const at of patches) rest.set(newCall, at - code.start - countBytes.length);
      const newCount = unsignedLeb(bodies + 1);
      put([part.id, ...unsignedLeb(newCount.length + rest.length + body.length)]);
      put(newCount);
      put(rest);
      put(body);
    } else {
      put([part.id, ...unsignedLeb(part.end - part.start)]);
      put(bytes.subarray(part.start, part.end));
    }
  }
  return out.slice(0, written);
}

function checkType(bytes: Uint8Array, types: Section, index: number, params: number[], results: number[]): void {
  const reader = new Reader(bytes, types.start);
  const count = reader.u32();
  if (index >= count) fail("type index");
  for (let i = 0; ; i++) {
    if (reader.byte() !== 0x60) fail("type form");
    const paramCount = reader.u32();
    const actualParams = Array.from(bytes.subarray(reader.at, reader.at + paramCount));
    reader.at += paramCount;
    const resultCount = reader.u32();
    const actualResults = Array.from(bytes.subarray(reader.at, reader.at + resultCount));
    reader.at += resultCount;
    if (i === index) {
      if (actualParams.join() !== params.join() || actualResults.join() !== results.join()) fail("a function of another type");
      return;
    }
  }
}

/** build_backtrace starts by returning unless error_obj is an object: `if (!JS_IsObject(error_obj)) return;`. */
function checkBuildBacktrace(bytes: Uint8Array, start: number): void {
  const reader = new Reader(bytes, start);
  for (let groups = reader.u32(); groups > 0; groups--) {
    reader.u32();
    reader.byte();
  }
  const prologue = [OP.block, OP.void, OP.localGet, 1, OP.i64Const, ...signedLeb(OBJECT_TAG_FLOOR), 0x54 /* i64.lt_u */, OP.brIf, 0];
  // After the stack-pointer prologue (global.get, i32.const 112, i32.sub, local.tee, global.set).
  const text = Array.from(bytes.subarray(reader.at, reader.at + 40));
  if (!`,${text.join()},`.includes(`,${prologue.join()},`)) fail("build_backtrace is not where graft expects it");
}
