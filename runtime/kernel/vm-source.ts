import { readFileSync } from "node:fs";

/**
 * Source of graft's in-VM code (runtime/kernel/vm/, checked by its own tsconfig; the build
 * copies it beside this module). Each file is evaluated under its repository path, so a
 * frame of it in a VM stack names a real line; the "graft:" prefix keeps such frames out
 * of the stacks shown for scripts.
 */
/** The name each of graft's in-VM files is evaluated under starts so. */
export const VM_SOURCE_PREFIX = "graft:runtime/kernel/vm/";

export function vmSource(file: string): { source: string; evaluatedName: string } {
  return {
    source: readFileSync(new URL(`./vm/${file}`, import.meta.url), "utf8"),
    evaluatedName: `${VM_SOURCE_PREFIX}${file}`,
  };
}
