import { readFileSync } from "node:fs";

/**
 * Source of graft's in-VM code (runtime/kernel/vm/, checked by its own tsconfig; the build
 * copies it beside this module). Each file is evaluated under its repository path, so a
 * frame of it in a VM stack names a real line; the "graft:" prefix keeps such frames out
 * of the stacks shown for scripts.
 */
export function vmSource(file: string): { source: string; evaluatedName: string } {
  return {
    source: readFileSync(new URL(`./vm/${file}`, import.meta.url), "utf8"),
    evaluatedName: `graft:runtime/kernel/vm/${file}`,
  };
}
