import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import ts from "typescript";
import { scriptsFolder, type ScriptsFolder } from "./helpers.js";

const PROJECTS = path.join(import.meta.dirname, "projects");

/** The files of test/projects/<name>, by path relative to it. */
export async function projectFiles(name: string): Promise<Record<string, string>> {
  const root = path.join(PROJECTS, name);
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files[path.relative(root, full).split(path.sep).join("/")] = await readFile(full, "utf8");
  }
  return files;
}

/** A scripts folder holding a copy of test/projects/<name> (edits change the copy only). */
export async function projectFolder(name: string, changes: Record<string, string> = {}): Promise<ScriptsFolder> {
  return scriptsFolder({ ...(await projectFiles(name)), ...changes });
}

/** What `tsc --noEmit --strict` says of a scripts folder (every .ts file of it), one line a diagnostic. */
export function tscDiagnostics(folder: ScriptsFolder, files: string[]): string[] {
  const program = ts.createProgram(
    files.filter((file) => file.endsWith(".ts")).map((file) => path.join(folder.root, file)),
    { noEmit: true, strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: [] },
  );
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : undefined;
    const file = diagnostic.file ? path.relative(folder.root, diagnostic.file.fileName) : "";
    return `${file}${where ? `:${where.line + 1}:${where.character + 1}` : ""}: TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`;
  });
}
