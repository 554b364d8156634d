/**
 * What a function's bytecode says of it for the heap decoder: the names of its closure
 * variables, and the file and line it was written at (read and mapped once per bytecode:
 * every closure made from it shares them).
 */
import { BYTECODE, CLOSURE_VAR } from "./layout.js";
import type { Locator, ReadOptions, StringTable } from "./heap-data.js";
import { HeapReadError, type VmMemory } from "./memory.js";
import type { NodeSink } from "./sinks.js";
import type { HeapTexts } from "./heap-texts.js";

const NO_LOCATION = [-1, -1] as const;

export class BytecodeFacts {
  /** Bytecode address -> its [location, file] string ids. */
  private readonly locations = new Map<number, readonly [number, number]>();

  constructor(
    private readonly memory: VmMemory,
    private readonly data: NodeSink,
    private readonly strings: StringTable,
    private readonly texts: HeapTexts,
    private readonly options: ReadOptions,
  ) {}

  /** String ids of the names of a bytecode's closure variables, in var_refs order. */
  closureVarNames(bytecode: number): number[] {
    const memory = this.memory;
    const count = memory.i32(bytecode + BYTECODE.closureVarCount, "closure_var_count");
    const vars = memory.u32(bytecode + BYTECODE.closureVar, "closure_var");
    if (count < 0 || count > 1 << 16) throw new HeapReadError(bytecode, `${count} closure variables`);
    const names: number[] = [];
    for (let i = 0; i < count && vars !== 0; i++) names.push(this.texts.atomName(memory.u32(vars + i * CLOSURE_VAR.stride + CLOSURE_VAR.varName, "closure var")));
    return names;
  }

  /** Sets node's file and location from the bytecode's debug info. */
  locate(node: number, bytecode: number): void {
    let known = this.locations.get(bytecode);
    if (known === undefined) {
      known = this.readLocation(bytecode);
      this.locations.set(bytecode, known);
    }
    if (known === NO_LOCATION) return;
    this.data.location[node] = known[0];
    this.data.file[node] = known[1];
  }

  /** [location, file] string ids of a bytecode's first line, or NO_LOCATION without debug info. */
  private readLocation(bytecode: number): readonly [number, number] {
    const memory = this.memory;
    if ((memory.u8(bytecode + BYTECODE.hasDebugByte, "has_debug") & BYTECODE.hasDebugBit) === 0) return NO_LOCATION;
    const evaluated = memory.atom(memory.u32(bytecode + BYTECODE.filename, "filename"));
    const buffer = memory.u32(bytecode + BYTECODE.pc2lineBuf, "pc2line");
    const length = memory.i32(bytecode + BYTECODE.pc2lineLen, "pc2line_len");
    if (buffer === 0 || length <= 0) {
      const id = this.strings.intern(evaluated);
      return [id, id];
    }
    const [line, afterLine] = memory.leb128(buffer, buffer + length);
    const [column] = memory.leb128(afterLine, buffer + length);
    const located = (this.options.locate as Locator | undefined)?.(evaluated, line + 1, column + 1);
    const location = this.strings.intern(located ?? `${evaluated}:${line + 1}`);
    return [location, this.strings.intern(located ? located.replace(/:\d+(:\d+)?$/, "") : evaluated)];
  }
}
