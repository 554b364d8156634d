/**
 * Reading and writing the pinned QuickJS WebAssembly module's bytes, for the repairs graft
 * makes before compiling it (wasm-patch.ts, wasm-deadline.ts): LEB128 numbers, sections,
 * and a walk over a function body's instructions that decodes every instruction the pinned
 * build uses (another instruction fails loudly: another build).
 */

export const SECTION = { type: 1, import: 2, function: 3, code: 10 } as const;
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, brTable: 0x0e, br: 0x0c, brIf: 0x0d, end: 0x0b, call: 0x10, callIndirect: 0x11,
  selectTyped: 0x1c, localGet: 0x20, localTee: 0x22, globalSet: 0x24, i32Load: 0x28, i64StoreLast: 0x3e, memorySize: 0x3f,
  memoryGrow: 0x40, i32Const: 0x41, i64Const: 0x42, f32Const: 0x43, f64Const: 0x44, i32Store: 0x36, i64GeU: 0x5a,
  i32Add: 0x6a, i32WrapI64: 0xa7, prefixFc: 0xfc, prefixSimd: 0xfd, void: 0x40,
} as const;

export function fail(what: string): never {
  throw new Error(`graft: the QuickJS WebAssembly module is not the build graft repairs (${what}); graft needs exactly @jitl/quickjs-wasmfile-release-sync 0.32.0`);
}

export class Reader {
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

export function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

export function signedLeb(value: bigint): number[] {
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

export interface Section {
  id: number;
  /** Where its content starts and ends in the module. */
  start: number;
  end: number;
}

export function sectionsOf(bytes: Uint8Array): Section[] {
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

export function section(sections: Section[], id: number): Section {
  const found = sections.find((candidate) => candidate.id === id);
  if (!found) fail(`no section ${id}`);
  return found;
}

/** How many functions the module imports (they come first in the function index space). */
export function importedFunctions(bytes: Uint8Array, imports: Section): number {
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

/**
 * Walks a function body (from its local declarations to its final `end`): `visit` gets each
 * instruction's opcode, where it starts, and where its immediates end.
 */
export function walkBody(bytes: Uint8Array, start: number, end: number, visit: (op: number, at: number, next: number) => void): void {
  const reader = new Reader(bytes, start);
  for (let groups = reader.u32(); groups > 0; groups--) {
    reader.u32();
    reader.byte();
  }
  while (reader.at < end) {
    const at = reader.at;
    const op = reader.byte();
    if (op === OP.block || op === OP.loop || op === OP.if) {
      const type = bytes[reader.at]!;
      if (type === OP.void || (type >= 0x7b && type <= 0x7f)) reader.at++;
      else reader.skipSigned();
    } else if (op === OP.br || op === OP.brIf || op === OP.call || (op >= OP.localGet && op <= OP.globalSet)) reader.u32();
    else if (op === OP.brTable) {
      for (let labels = reader.u32() + 1; labels > 0; labels--) reader.u32();
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
    visit(op, at, reader.at);
  }
  if (reader.at !== end || bytes[end - 1] !== OP.end) fail("a function body that does not decode");
}

/** The offsets (of the index operand) of every `call target` in a function body. */
export function callsIn(bytes: Uint8Array, start: number, end: number, target: number): number[] {
  const calls: number[] = [];
  walkBody(bytes, start, end, (op, at) => {
    if (op === OP.call && new Reader(bytes, at + 1).u32() === target) calls.push(at + 1);
  });
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

/** A function type of the type section: its parameter and result value types. */
export interface Signature {
  params: number[];
  results: number[];
}

/** The module's function types, in type-index order. */
export function signatures(bytes: Uint8Array, types: Section): Signature[] {
  const reader = new Reader(bytes, types.start);
  const count = reader.u32();
  const list: Signature[] = [];
  for (let i = 0; i < count; i++) {
    if (reader.byte() !== 0x60) fail("type form");
    const paramCount = reader.u32();
    const params = Array.from(bytes.subarray(reader.at, reader.at + paramCount));
    reader.at += paramCount;
    const resultCount = reader.u32();
    const results = Array.from(bytes.subarray(reader.at, reader.at + resultCount));
    reader.at += resultCount;
    list.push({ params, results });
  }
  return list;
}

/** Whether `signature` is (params) -> (results). */
export function isSignature(signature: Signature | undefined, params: number[], results: number[]): boolean {
  return signature !== undefined && signature.params.join() === params.join() && signature.results.join() === results.join();
}

export function checkType(bytes: Uint8Array, types: Section, index: number, params: number[], results: number[]): void {
  const list = signatures(bytes, types);
  if (index >= list.length) fail("type index");
  if (!isSignature(list[index], params, results)) fail("a function of another type");
}

/** The type index of each function, by its index in the function index space (`imports` imported functions first). */
export function functionTypes(bytes: Uint8Array, functions: Section, imports: number): (index: number) => number {
  const reader = new Reader(bytes, functions.start);
  const count = reader.u32();
  const types: number[] = [];
  for (let i = 0; i < count; i++) types.push(reader.u32());
  return (index) => types[index - imports] ?? fail(`no function ${index}`);
}

