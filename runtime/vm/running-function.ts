import { BYTECODE, BYTECODE_FUNCTION_CLASSES, JSVALUE_SIZE, LIST, OBJECT, RUNTIME, STACK_FRAME, TAG } from "../heap/layout.js";
import { VmMemory } from "../heap/memory.js";

/** Where a function was defined, as QuickJS saw it (the evaluated name of a script version). */
export interface FunctionSite {
  evaluatedName: string;
  line: number;
  column: number;
}

/** Where a queued promise job comes from: its realm (a context pointer) and, if a script function is among its arguments, that function. */
export interface JobSite {
  realm: number;
  site: FunctionSite | undefined;
}

/** JSJobEntry: list link, realm, job function, argc, then the arguments (8-byte aligned). */
const JOB_ENTRY = { realm: 8, argc: 16, argv: 24 } as const;
const JOBS_EXAMINED = 16;
const FRAMES_EXAMINED = 64;

/**
 * The first queued promise job (JSRuntime.job_list), read from VM memory: a chain of jobs
 * stopped at the timeout is usually stopped as a job starts, when no script frame is on
 * the stack, and the queue is what says whose it is.
 */
export function pendingJobSite(heap: Uint8Array, runtimePointer: number): JobSite | undefined {
  try {
    const memory = new VmMemory(heap, runtimePointer);
    const head = runtimePointer + RUNTIME.jobList;
    let first: JobSite | undefined;
    let examined = 0;
    for (let entry = memory.u32(head + LIST.next); entry !== head && examined < JOBS_EXAMINED; entry = memory.u32(entry + LIST.next), examined++) {
      const realm = memory.u32(entry + JOB_ENTRY.realm);
      const argc = memory.i32(entry + JOB_ENTRY.argc);
      for (let i = 0; i < argc && i < 8; i++) {
        const value = entry + JOB_ENTRY.argv + i * JSVALUE_SIZE;
        if (memory.i32(value + 4) !== TAG.object) continue;
        const site = functionSite(memory, memory.u32(value));
        if (site) return { realm, site };
      }
      first ??= { realm, site: undefined };
    }
    return first;
  } catch {
    return undefined;
  }
}

/**
 * The realm (context pointer) of the first queued promise job, or undefined when the queue
 * is empty: a few reads, cheap enough before every batch of jobs.
 */
export function firstJobRealm(heap: Uint8Array, runtimePointer: number): number | undefined {
  try {
    const memory = new VmMemory(heap, runtimePointer);
    const head = runtimePointer + RUNTIME.jobList;
    const entry = memory.u32(head + LIST.next);
    return entry === head ? undefined : memory.u32(entry + JOB_ENTRY.realm);
  } catch {
    return undefined;
  }
}

/**
 * The script function QuickJS is running right now (JSRuntime.current_stack_frame), read
 * from VM memory: called from the interrupt handler, when the VM cannot be asked. A C
 * function, or anything unreadable, gives undefined.
 */
export function runningFunction(heap: Uint8Array, runtimePointer: number): FunctionSite | undefined {
  try {
    const memory = new VmMemory(heap, runtimePointer);
    // The innermost frame may be a C function's (Promise.resolve, a then-callback's
    // plumbing): the nearest script function up the stack is the one to name.
    let frame = memory.u32(runtimePointer + RUNTIME.currentStackFrame);
    for (let depth = 0; frame !== 0 && depth < FRAMES_EXAMINED; depth++, frame = memory.u32(frame + STACK_FRAME.prevFrame)) {
      if (memory.i32(frame + STACK_FRAME.curFunc + 4) !== TAG.object) continue;
      const site = functionSite(memory, memory.u32(frame + STACK_FRAME.curFunc));
      if (site) return site;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Where a bytecode function object was defined; undefined for anything else. */
function functionSite(memory: VmMemory, fn: number): FunctionSite | undefined {
  if (!BYTECODE_FUNCTION_CLASSES.has(memory.u16(fn + OBJECT.classId))) return undefined;
  const bytecode = memory.u32(fn + OBJECT.funcBytecode);
  if ((memory.u8(bytecode + BYTECODE.hasDebugByte) & BYTECODE.hasDebugBit) === 0) return undefined;
  const evaluatedName = memory.atom(memory.u32(bytecode + BYTECODE.filename));
  const buffer = memory.u32(bytecode + BYTECODE.pc2lineBuf);
  const length = memory.i32(bytecode + BYTECODE.pc2lineLen);
  if (buffer === 0 || length <= 0) return { evaluatedName, line: 1, column: 1 };
  const [line, afterLine] = memory.leb128(buffer, buffer + length);
  const [column] = memory.leb128(afterLine, buffer + length);
  return { evaluatedName, line: line + 1, column: column + 1 };
}
