/**
 * A second repair to the pinned QuickJS build's bytes (see wasm-patch.ts for the first):
 * QuickJS's growable byte buffer (DynBuf, cutils.c) writes its bytecode. When growing it
 * fails (the VM is out of memory), `dbuf_claim` sets `error` and returns -1, but leaves
 * `allocated_size` as it was, and the inlined writers (dbuf_putc, dbuf_put_u16/u32) go on
 * writing whatever still fits in the old allocation. The parser ignores the error until
 * later, so its bytecode gets holes: an opcode whose operand did not fit, followed by the
 * next small writes. When the failed parse is freed, `free_bytecode_atoms` walks that
 * misaligned stream, reads an operand byte as an atom opcode and frees a garbage atom:
 * the instance traps ("memory access out of bounds"), or an atom's count goes wrong
 * silently. Seen with `(0, eval)("[" + "7,".repeat(1e6) + "].length")` at a 2 MiB
 * memoryLimit (hostile families property).
 *
 * The repair makes the failure final: on the failed grow, `dbuf_claim` also sets
 * `allocated_size = size`, so every later write takes the slow path and fails as well.
 * The buffer is then a run of whole instructions, at most the last one cut short, which
 * QuickJS's walkers expect ("may happen if there is not enough memory when emitting").
 *
 * That alone is not enough: the parser does not look at the error either, and when it
 * finishes "successfully" js_create_function's passes (resolve_variables, resolve_labels)
 * copy the cut-short last instruction whole, reading its missing operand from the stale
 * bytes past the buffer's end (the script's own text, say), and the freeing then walks a
 * garbage atom. So js_create_function also gets a first check, as its passes do for their
 * own output: a function whose bytecode could not be written is freed (QuickJS's walkers
 * expect a cut-short last instruction there: "may happen if there is not enough memory
 * when emitting") and the call throws "out of memory".
 *
 * The build is pinned, so the functions are found by index and proven by their bytes and
 * types: a different build fails loudly here.
 */

import { SECTION, Reader, checkType, fail, functionTypes, importedFunctions, section, sectionsOf, unsignedLeb, type Section } from "./wasm-bytes.js";

/** dbuf_claim(DynBuf *s, size_t len) in the pinned build's function index space. */
const DBUF_CLAIM = 203;
/** DynBuf's fields on wasm32: buf 0, size 4, allocated_size 8, error 12, realloc_func 16, opaque 20. */
const SIZE_OFFSET = 4;
const ALLOCATED_OFFSET = 8;
/** The failed grow: `s->error = TRUE; return -1;` (local.get 0, i32.const 1, i32.store offset=12, i32.const -1, return). */
const FAILED_GROW = [0x20, 0x00, 0x41, 0x01, 0x36, 0x02, 0x0c, 0x41, 0x7f, 0x0f];
/** What is put before it: `s->allocated_size = s->size;`. */
const CLOSE_BUFFER = [0x20, 0x00, 0x20, 0x00, 0x28, 0x02, SIZE_OFFSET, 0x36, 0x02, ALLOCATED_OFFSET];
/** The pinned dbuf_claim's body, 131 bytes, as wasm-objdump shows it (the proof of shape). */
const DBUF_CLAIM_BODY = [
  0x01, 0x03, 0x7f, 0x41, 0x7f, 0x21, 0x03, 0x02, 0x40, 0x20, 0x00, 0x28, 0x02, 0x04, 0x22, 0x02, 0x20, 0x01, 0x6a, 0x22, 0x01,
  0x20, 0x02, 0x49, 0x0d, 0x00, 0x20, 0x00, 0x28, 0x02, 0x08, 0x22, 0x02, 0x20, 0x01, 0x49, 0x04, 0x40, 0x20, 0x00, 0x28, 0x02,
  0x0c, 0x0d, 0x01, 0x20, 0x02, 0x41, 0x01, 0x76, 0x22, 0x04, 0x20, 0x02, 0x6a, 0x22, 0x02, 0x20, 0x04, 0x49, 0x0d, 0x01, 0x20,
  0x00, 0x28, 0x02, 0x14, 0x20, 0x00, 0x28, 0x02, 0x00, 0x20, 0x02, 0x20, 0x01, 0x20, 0x01, 0x20, 0x02, 0x49, 0x1b, 0x22, 0x01,
  0x20, 0x00, 0x28, 0x02, 0x10, 0x11, 0x01, 0x00, 0x22, 0x03, 0x45, 0x04, 0x40, ...FAILED_GROW, 0x0b, 0x20, 0x00, 0x20, 0x01,
  0x36, 0x02, 0x08, 0x20, 0x00, 0x20, 0x03, 0x36, 0x02, 0x00, 0x0b, 0x41, 0x00, 0x21, 0x03, 0x0b, 0x20, 0x03, 0x0b,
];

/** js_create_function(ctx, fd), js_free_function_def(ctx, fd) and JS_ThrowOutOfMemory(ctx). */
const CREATE_FUNCTION = 652;
const FREE_FUNCTION_DEF = 385;
const THROW_OUT_OF_MEMORY = 201;
/** fd->byte_code.error: the DynBuf byte_code is at 256 in JSFunctionDef. */
const BYTE_CODE_ERROR_OFFSET = 256 + 12;
/** JS_EXCEPTION, NaN-boxed: tag 6 in the high word. */
const JS_EXCEPTION = [0x42, 0x80, 0x80, 0x80, 0x80, 0xe0, 0x00];
/** js_create_function's locals, its stack-frame prologue (896 bytes), and its fail path's end: `js_free_function_def(ctx, fd); return JS_EXCEPTION;`. */
const CREATE_FUNCTION_START = [0x02, 0x12, 0x7f, 0x01, 0x7e, 0x23, 0x00, 0x41, 0x80, 0x07, 0x6b];
const CREATE_FUNCTION_FAIL = [0x20, 0x00, 0x20, 0x01, 0x10, ...unsignedLeb(FREE_FUNCTION_DEF), ...JS_EXCEPTION, 0x0b];
/** JS_ThrowOutOfMemory guards rt->in_out_of_memory and throws the "out of memory" text (at 3697 in the pinned build's data). */
const THROW_OUT_OF_MEMORY_TEXT = [0x41, 0xf1, 0x1c, 0x41, 0x00, 0x10];
/** Put first in js_create_function: `if (fd->byte_code.error) { JS_ThrowOutOfMemory(ctx); js_free_function_def(ctx, fd); return JS_EXCEPTION; }`. */
const CHECK_BYTE_CODE = [
  0x20, 0x01, 0x28, 0x02, ...unsignedLeb(BYTE_CODE_ERROR_OFFSET), 0x04, 0x40,
  0x20, 0x00, 0x10, ...unsignedLeb(THROW_OUT_OF_MEMORY),
  0x20, 0x00, 0x20, 0x01, 0x10, ...unsignedLeb(FREE_FUNCTION_DEF),
  ...JS_EXCEPTION, 0x0f, 0x0b,
];

/** The module's bytes with dbuf_claim and js_create_function repaired (see the module comment). */
export function repairBytecodeOutOfMemory(bytes: Uint8Array): Uint8Array {
  const sections = sectionsOf(bytes);
  const imports = importedFunctions(bytes, section(sections, SECTION.import));
  const types = section(sections, SECTION.type);
  const typeOf = functionTypes(bytes, section(sections, SECTION.function), imports);
  checkType(bytes, types, typeOf(DBUF_CLAIM), [0x7f, 0x7f], [0x7f]);
  checkType(bytes, types, typeOf(CREATE_FUNCTION), [0x7f, 0x7f], [0x7e]);
  checkType(bytes, types, typeOf(FREE_FUNCTION_DEF), [0x7f, 0x7f], []);
  checkType(bytes, types, typeOf(THROW_OUT_OF_MEMORY), [0x7f], []);
  const code = section(sections, SECTION.code);
  const reader = new Reader(bytes, code.start);
  const bodies = reader.u32();
  if (CREATE_FUNCTION - imports >= bodies) fail("js_create_function is not where graft expects it");
  const content: number[] = [...bytes.subarray(code.start, reader.at)];
  for (let index = imports; index < imports + bodies; index++) {
    const size = reader.u32();
    const old = bytes.subarray(reader.at, reader.at + size);
    reader.at += size;
    const body = index === DBUF_CLAIM ? repairedDbufClaim(old) : index === CREATE_FUNCTION ? repairedCreateFunction(old) : index === THROW_OUT_OF_MEMORY ? checkedThrowOutOfMemory(old) : old;
    content.push(...unsignedLeb(body.length));
    for (const byte of body) content.push(byte);
  }
  const sectionHeaderAt = code.start - unsignedLeb(code.end - code.start).length - 1;
  if (bytes[sectionHeaderAt] !== SECTION.code) fail("the code section's header");
  const out = new Uint8Array(sectionHeaderAt + 1 + 5 + content.length + (bytes.length - code.end));
  let written = 0;
  const put = (chunk: ArrayLike<number>): void => {
    out.set(chunk, written);
    written += chunk.length;
  };
  put(bytes.subarray(0, sectionHeaderAt));
  put([SECTION.code, ...unsignedLeb(content.length)]);
  put(content);
  put(bytes.subarray(code.end));
  return out.slice(0, written);
}

function repairedDbufClaim(old: Uint8Array): number[] {
  if (old.length !== DBUF_CLAIM_BODY.length || old.some((byte, i) => byte !== DBUF_CLAIM_BODY[i])) fail("dbuf_claim is not where graft expects it");
  const failedAt = indexOf(old, FAILED_GROW);
  return [...old.subarray(0, failedAt), ...CLOSE_BUFFER, ...old.subarray(failedAt)];
}

function repairedCreateFunction(old: Uint8Array): number[] {
  const startsRight = CREATE_FUNCTION_START.every((byte, i) => old[i] === byte);
  // The fail path ends just before the stack frame's epilogue (local.get, i32.const 896, i32.add, global.set, end).
  const tail = old.subarray(old.length - 9 - CREATE_FUNCTION_FAIL.length, old.length - 9);
  if (!startsRight || CREATE_FUNCTION_FAIL.some((byte, i) => tail[i] !== byte)) fail("js_create_function is not where graft expects it");
  // After the locals (5 bytes), before the stack frame is made: the early return needs no epilogue.
  return [...old.subarray(0, 5), ...CHECK_BYTE_CODE, ...old.subarray(5)];
}

function checkedThrowOutOfMemory(old: Uint8Array): Uint8Array {
  indexOf(old, THROW_OUT_OF_MEMORY_TEXT);
  return old;
}

function indexOf(haystack: Uint8Array, needle: number[]): number {
  for (let at = 0; at + needle.length <= haystack.length; at++) {
    if (needle.every((byte, i) => haystack[at + i] === byte)) return at;
  }
  fail("a function graft repairs is not as graft expects it");
}
