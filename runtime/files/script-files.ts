import { readFileSync, realpathSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

export const SCRIPT_EXTENSIONS = [".ts", ".js", ".mjs"] as const;
/** Larger files are refused: a script this big is a mistake (a pasted bundle, a data dump). */
export const MAX_SCRIPT_BYTES = 2 * 1024 * 1024;

/** Editor temp and backup files that must never load as scripts. */
const TEMP_FILE = /(^\.|~$|\.swp$|\.swx$|\.tmp$|\.bak$|^#.*#$|\.crswap$|___jb_(tmp|old)___$)/;

export function isScriptPath(relative: string): boolean {
  const parts = relative.split(/[\\/]/);
  if (parts.some((part) => part.startsWith(".") || part === "node_modules")) return false;
  const base = parts[parts.length - 1]!;
  if (TEMP_FILE.test(base) || base.endsWith(".d.ts")) return false;
  return SCRIPT_EXTENSIONS.some((extension) => base.endsWith(extension));
}

/**
 * A JSON file a script may import (`with { type: "json" }`): a module once imported, never
 * loaded for being in the folder (a tsconfig.json there is not data of the game).
 */
export function isJsonModulePath(relative: string): boolean {
  const parts = relative.split(/[\\/]/);
  if (parts.some((part) => part.startsWith(".") || part === "node_modules")) return false;
  const base = parts[parts.length - 1]!;
  return base.endsWith(".json") && !TEMP_FILE.test(base);
}

/** The one name of a script path relative to the scripts folder: forward slashes, no "." or ".." steps. */
export function scriptName(relative: string): string {
  if (typeof relative !== "string") return relative;
  return path.posix.normalize(relative.split("\\").join("/"));
}

/** A file graft runs as a module: a script, or a JSON module. */
export function isModulePath(relative: string): boolean {
  return isScriptPath(relative) || isJsonModulePath(relative);
}

/**
 * The one rule for what is a script, for start-up, reload() and the watcher alike: a
 * regular file inside the scripts folder (no symbolic link, nothing reached through one),
 * named *.ts, *.js or *.mjs, outside dot-folders and node_modules, not an editor's temp
 * file. Returns why `relative` is not one (for a path that exists), or undefined.
 */
export function scriptPathProblem(root: string, relative: string): string | undefined {
  const normalized = scriptName(relative);
  if (path.isAbsolute(relative) || normalized === ".." || normalized.startsWith("../")) return "it is outside the scripts folder";
  if (!isModulePath(normalized)) return "it is not a script: scripts are .ts, .js or .mjs files, and .json files scripts import (not .d.ts, editor temp files, or files in dot-folders or node_modules)";
  if (!isInsideRealFolder(root, normalized)) return "it is a symbolic link, or reached through one: graft loads only regular files inside the scripts folder";
  return undefined;
}

const realRoots = new Map<string, string>();

/** True unless the file exists and is (or is reached through) a symbolic link. */
function isInsideRealFolder(root: string, relative: string): boolean {
  let realRoot = realRoots.get(root);
  if (realRoot === undefined) {
    realRoot = realpathSync(root);
    realRoots.set(root, realRoot);
  }
  let real: string;
  try {
    // realpath(3) itself: a third of the time of Node's JavaScript walk, on every reload's path.
    real = realpathSync.native(path.join(root, relative));
  } catch {
    return true; // missing: a deletion
  }
  return real === path.join(realRoot, relative);
}

/** Whether `relative` is a script (or JSON module) on disk now (a regular file, by the rule of scriptPathProblem). */
export function scriptExists(root: string, relative: string): boolean {
  if (!isModulePath(relative) || !isInsideRealFolder(root, relative)) return false;
  try {
    return statSync(path.join(root, relative)).isFile();
  } catch {
    return false;
  }
}

/** Every script under `root`, as sorted forward-slash relative paths. */
export async function listScripts(root: string): Promise<string[]> {
  const found: string[] = [];
  async function visit(directory: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      return; // deleted while we walked
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) await visit(full);
      else if (entry.isFile()) {
        const relative = toRelative(root, full);
        if (isScriptPath(relative)) found.push(relative);
      }
    }
  }
  await visit(root);
  return found.sort();
}

export function toRelative(root: string, full: string): string {
  return path.relative(root, full).split(path.sep).join("/");
}

export type ReadOutcome = { kind: "source"; source: string } | { kind: "missing" } | { kind: "invalid"; reason: string; hint: string };

/**
 * Reads a script, refusing what cannot be source text (binary, non-UTF-8, huge). The read
 * is synchronous on purpose: scripts are small, and a thread-pool round trip right after a
 * save (while the watcher stats the same file) costs more than the read itself.
 */
export async function readScript(root: string, relative: string): Promise<ReadOutcome> {
  // A symbolic link is not a script (as at start-up): for graft, that file is not there.
  if (!isInsideRealFolder(root, relative)) return { kind: "missing" };
  const full = path.join(root, relative);
  let bytes: Buffer;
  try {
    bytes = readFileSync(full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") return { kind: "missing" };
    throw error;
  }
  if (bytes.length > MAX_SCRIPT_BYTES) {
    return {
      kind: "invalid",
      reason: `file is ${(bytes.length / 1024 / 1024).toFixed(1)} MiB, over the ${MAX_SCRIPT_BYTES / 1024 / 1024} MiB limit for a script`,
      hint: "split it into smaller scripts, or keep data out of scripts/",
    };
  }
  return decodeScript(bytes);
}

export function decodeScript(bytes: Buffer): ReadOutcome {
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    return { kind: "invalid", reason: `binary file (NUL byte at offset ${nul})`, hint: "scripts must be UTF-8 text; move binary files out of scripts/" };
  }
  try {
    const source = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return { kind: "source", source: source.startsWith("\uFEFF") ? source.slice(1) : source };
  } catch {
    return { kind: "invalid", reason: "file is not valid UTF-8", hint: "save the file as UTF-8 in your editor" };
  }
}

/**
 * Resolves an import specifier of `importer` to a script path, or undefined. Relative
 * specifiers only; the extension is optional, as is `/index` for folders.
 */
export function resolveSpecifier(importer: string, specifier: string, exists: (file: string) => boolean): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(importer), specifier));
  if (base.startsWith("../")) return undefined;
  const candidates = [base];
  const withoutJsExtension = base.replace(/\.(m?js)$/, "");
  for (const extension of SCRIPT_EXTENSIONS) candidates.push(base + extension, withoutJsExtension + extension);
  for (const extension of SCRIPT_EXTENSIONS) candidates.push(`${base}/index${extension}`);
  return candidates.find((candidate) => isModulePath(candidate) && exists(candidate));
}
