/**
 * HeapProfiler.addHeapSnapshotChunk messages made straight from the snapshot's UTF-8 bytes:
 * the piece is escaped as a JSON string into one buffer (no JavaScript string of the piece,
 * nor of the message, is made: for a snapshot of a million objects that was three copies of
 * every piece in V8's heap). A piece that ends inside a UTF-8 sequence keeps those bytes for
 * the next, so that every frame is valid UTF-8 text.
 */
export class ChunkFrames {
  private carried: Uint8Array = new Uint8Array(0);

  private static readonly HEAD = Buffer.from('{"method":"HeapProfiler.addHeapSnapshotChunk","params":{"chunk":"');
  private static readonly TAIL = Buffer.from('"}}');

  /** The message for `piece` (and any bytes carried from the one before). */
  frame(piece: Uint8Array, last = false): Buffer {
    const bytes = this.carried.length > 0 ? Buffer.concat([this.carried, piece]) : piece;
    const end = last ? bytes.length : completeLength(bytes);
    this.carried = bytes.slice(end);
    let extra = 0;
    for (let i = 0; i < end; i++) {
      const byte = bytes[i]!;
      if (byte === 0x22 || byte === 0x5c) extra += 1;
      else if (byte < 0x20) extra += 5;
    }
    const head = ChunkFrames.HEAD;
    const out = Buffer.allocUnsafe(head.length + end + extra + ChunkFrames.TAIL.length);
    head.copy(out, 0);
    let at = head.length;
    for (let i = 0; i < end; i++) {
      const byte = bytes[i]!;
      if (byte === 0x22 || byte === 0x5c) {
        out[at++] = 0x5c;
        out[at++] = byte;
      } else if (byte < 0x20) {
        at += out.write(`\\u${byte.toString(16).padStart(4, "0")}`, at, "latin1");
      } else {
        out[at++] = byte;
      }
    }
    ChunkFrames.TAIL.copy(out, at);
    return out;
  }

  /** Bytes still carried (an incomplete sequence at the very end: only if the snapshot were not UTF-8). */
  get pending(): boolean {
    return this.carried.length > 0;
  }
}

/** How many leading bytes of `bytes` end on a UTF-8 character boundary. */
function completeLength(bytes: Uint8Array): number {
  const length = bytes.length;
  // Step back over at most three continuation bytes to the start of the last character.
  let start = length - 1;
  while (start >= 0 && length - start <= 4 && (bytes[start]! & 0xc0) === 0x80) start--;
  if (start < 0) return length;
  const lead = bytes[start]!;
  const needed = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return length - start >= needed ? length : start;
}
