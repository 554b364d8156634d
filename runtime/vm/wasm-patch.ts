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

import { OP, SECTION, Reader, callsIn, checkType, fail, functionTypes, importedFunctions, section, sectionsOf, signedLeb, unsignedLeb } from "./wasm-bytes.js";

/** build_backtrace and JS_FreeValue in the pinned build's function index space. */
const BUILD_BACKTRACE = 348;
const FREE_VALUE = 19;
/** How many calls of build_backtrace the pinned build has (interpreter, parser, modules, Error, throw). */
const BUILD_BACKTRACE_CALLS = 5;
/** JSValue tags above this one (as the high word, NaN-boxed) are objects: tag JS_TAG_OBJECT (-1). */
const OBJECT_TAG_FLOOR = -4294967296n;

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
  const typeOf = functionTypes(bytes, functions, imports);
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
