import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { GraftError } from "../graft-error.js";

/**
 * A VM string read straight from VM memory, exactly as the VM holds it.
 *
 * quickjs-emscripten's `getString` converts the string to UTF-8 inside the VM first: that
 * needs a buffer of up to three bytes a character in VM memory, and when the VM cannot
 * give it (a big non-ASCII string in a VM near its memoryLimit) the conversion fails,
 * the library reads a NULL pointer as "" and the host gets an empty string with no error.
 * UTF-8 also turns a lone surrogate into U+FFFD. Read from memory, a string needs no VM
 * memory at all and every UTF-16 code unit arrives as it is.
 *
 * JSString (pinned build): ref_count, then `len:31 | is_wide_char:1`, hash, hash_next, then
 * the characters (Latin-1 bytes, or UTF-16 units). JSStringRope: ref_count, len,
 * is_wide_char, depth, then two JSValues (left, right), each a string or a rope.
 */
const TAG_STRING = -7;
const TAG_STRING_ROPE = -6;
const STRING_LENGTH_WORD = 4;
const STRING_CHARS = 16;
const ROPE_LEFT = 16;
const ROPE_RIGHT = 24;
/** V8's longest string (String::kMaxLength on 64-bit hosts). */
const HOST_MAX_STRING_LENGTH = 2 ** 29 - 24;

/** Up to this many characters, a string is decoded by String.fromCharCode (cheaper than a Buffer for short ones). */
const SHORT_STRING = 64;

function shortString(heap: Uint8Array, start: number, length: number, wide: boolean): string {
  if (!wide) return String.fromCharCode.apply(null, heap.subarray(start, start + length) as unknown as number[]);
  return String.fromCharCode.apply(null, new Uint16Array(heap.buffer, heap.byteOffset + start, length) as unknown as number[]);
}

let viewedBuffer: ArrayBufferLike | undefined;
let viewedWords: Int32Array<ArrayBufferLike> = new Int32Array(0);

/** An Int32Array over VM memory, made again only when the memory has grown (its buffer replaced) or another VM is read. */
function wordsOf(heap: Uint8Array): Int32Array {
  if (heap.buffer !== viewedBuffer) {
    viewedBuffer = heap.buffer;
    viewedWords = new Int32Array(heap.buffer, 0, heap.buffer.byteLength >>> 2);
  }
  return viewedWords;
}

/**
 * The string a JSValue (at `valueAddress` in VM memory) holds, or undefined when it holds
 * no string. Throws a GraftError (naming `what`) when the host cannot hold it.
 */
export function readVmString(heap: Uint8Array, valueAddress: number, what = "a string"): string | undefined {
  const words = wordsOf(heap);
  const tag = words[(valueAddress + 4) >>> 2]!;
  if (tag !== TAG_STRING && tag !== TAG_STRING_ROPE) return undefined;
  let text = "";
  let total = 0;
  // Depth-first, left before right: a rope's pieces in order.
  const pending: number[] = [valueAddress];
  while (pending.length > 0) {
    const at = pending.pop()!;
    const pointer = words[at >>> 2]! >>> 0;
    if (words[(at + 4) >>> 2] === TAG_STRING_ROPE) {
      pending.push(pointer + ROPE_RIGHT, pointer + ROPE_LEFT);
      continue;
    }
    const lengthWord = words[(pointer + STRING_LENGTH_WORD) >>> 2]! >>> 0;
    const length = lengthWord & 0x7fffffff;
    total += length;
    if (total > HOST_MAX_STRING_LENGTH) {
      throw new GraftError(`${what} is too long for the host: more than ${HOST_MAX_STRING_LENGTH} characters (V8's longest string); pass it in parts`);
    }
    if (length === 0) continue;
    const start = pointer + STRING_CHARS;
    const wide = lengthWord >>> 31 === 1;
    const bytes = wide ? length * 2 : length;
    if (start + bytes > heap.byteLength) throw new GraftError(`${what} lies outside VM memory: the VM's memory is corrupt`);
    // V8 joins by reference (a cons string): no copy per piece.
    text += length <= SHORT_STRING ? shortString(heap, start, length, wide) : Buffer.from(heap.buffer, heap.byteOffset + start, bytes).toString(wide ? "utf16le" : "latin1");
  }
  return text;
}

/** `context.getString(handle)`, read from VM memory (see readVmString); other values as the library reads them. */
export function vmString(context: QuickJSContext, handle: QuickJSHandle, what?: string): string {
  const heap = (context.runtime as unknown as { module: { HEAPU8: Uint8Array } }).module.HEAPU8;
  return readVmString(heap, (handle as unknown as { value: number }).value, what) ?? context.getString(handle);
}
