import type { ModuleEntries } from "../compile/module-transform.js";
import type { TypeScriptExport, TypeScriptExports } from "../compile/type-exports.js";

/**
 * Link-time export resolution of ES modules (ResolveExport, GetExportedNames), done by the
 * host from each module's static entries before anything of a batch runs: importing a name
 * a module does not export, or one that two `export *` give different bindings for, is a
 * SyntaxError of the importer, and `export *` adds exactly the names that resolve.
 */
export interface LinkedModule {
  entries: ModuleEntries;
  /** Resolved files, by request index; HOST for the host module. */
  dependencies: string[];
  /**
   * Every name the file's TypeScript source exports, types included (compile/type-exports.ts),
   * asked for only when a name does not resolve to a value: a name it lists that the
   * compiled module does not export is a type only, elided as tsc elides it.
   */
  typeScriptExports?: () => LinkedTypeScriptExports;
}

/** A file's TypeScript exports with its `export type * from` resolved to files (unresolved ones left out). */
export interface LinkedTypeScriptExports {
  names: TypeScriptExports["names"];
  typeStars: (TypeScriptExports["typeStars"][number] & { file: string })[];
}

export interface LinkError {
  /** Where in the stripped code the import or re-export is written. */
  offset: number;
  message: string;
  /** What to do, when not the usual (export the name, or import one that is exported). */
  hint?: string;
}

/** A name `export *` adds, and where its binding is: an export of `module`, or its namespace ("*"). */
export interface StarExport {
  name: string;
  module: string;
  exportName: string;
}

export interface ModuleLink {
  errors: LinkError[];
  /** The names `export * from` adds to the module's exports, each read straight from the module that binds it. */
  starExports: StarExport[];
  /** Export names of the compiled module that resolve to types only: not in its namespace (tsc elides them). */
  typeOnly: string[];
}

/** A name that resolves to a type only: the module whose TypeScript source exports it, and what it is there. */
export interface TypeResolution {
  module: string;
  type: TypeScriptExport;
}

/**
 * `binding` identifies the binding (for ambiguity); `exportName` is how `module` exports it
 * ("*": its namespace). A TypeResolution: the name is a type only.
 */
type Resolution = { module: string; binding: string; exportName: string; type?: undefined } | TypeResolution | null | "ambiguous";

/** The binding name of a namespace (`export * as ns`, `import * as ns; export { ns }`). */
const NAMESPACE = "*namespace*";

export class ModuleLinker {
  constructor(
    private readonly moduleOf: (file: string) => LinkedModule | undefined,
    /** The host module's exports are whatever the host passes: every name resolves. */
    private readonly hostModule: string,
  ) {}

  link(file: string): ModuleLink {
    const module = this.moduleOf(file);
    if (!module) return { errors: [], starExports: [], typeOnly: [] };
    const errors: LinkError[] = [];
    const { entries, dependencies } = module;
    const check = (request: number, importName: string, offset: number, what: string): Resolution | undefined => {
      const target = dependencies[request];
      // A file not running (it failed to load) is not resolved against: the loader reports it.
      if (target === undefined || target === this.hostModule || importName === "*" || !this.moduleOf(target)) return undefined;
      const resolution = this.resolveExport(target, importName, []);
      if (resolution === "ambiguous") {
        errors.push({ offset, message: `${what} '${importName}' of ${target} is ambiguous: two \`export *\` of it give different bindings of that name` });
      } else if (resolution === null) {
        errors.push({ offset, message: `${what} '${importName}' of ${target}, which does not export it` });
      }
      return resolution;
    };
    for (const entry of entries.imports) {
      const resolution = check(entry.request, entry.importName, entry.offset, "imports");
      // An import of a type that the code uses as a value: tsc's "only refers to a type" (TS2693).
      if (resolution && resolution !== "ambiguous" && resolution.type && entry.valueUse !== undefined) {
        errors.push({
          offset: entry.valueUse,
          message: `'${entry.local}' is used as a value here, but '${entry.importName}' of ${dependencies[entry.request]} is only a type (${describeType(resolution)})`,
          hint: "use it in type positions only (`import type` says so), or export a value of that name from that file",
        });
      }
    }
    const typeOnly: string[] = [];
    for (const entry of entries.indirect) {
      const resolution = check(entry.request, entry.importName, entry.offset, "re-exports");
      if (resolution && resolution !== "ambiguous" && resolution.type) typeOnly.push(entry.exportName);
    }
    const starExports: StarExport[] = [];
    const own = new Set([...Object.keys(entries.local), ...entries.indirect.map((entry) => entry.exportName)]);
    for (const name of this.exportedNames(file, new Set())) {
      if (own.has(name)) continue;
      const resolution = this.resolveExport(file, name, []);
      if (resolution === null || resolution === "ambiguous" || resolution.type) continue;
      starExports.push({ name, module: resolution.module, exportName: resolution.exportName });
    }
    return { errors, starExports, typeOnly };
  }

  /** ResolveExport (ECMA-262 16.2.1.6.3): the binding a module's export name leads to. */
  resolveExport(file: string, exportName: string, resolveSet: { file: string; name: string }[]): Resolution {
    const module = file === this.hostModule ? undefined : this.moduleOf(file);
    if (!module) return { module: file, binding: exportName, exportName };
    if (resolveSet.some((entry) => entry.file === file && entry.name === exportName)) return null; // a cycle
    resolveSet.push({ file, name: exportName });
    const { entries, dependencies } = module;
    const local = entries.local[exportName];
    if (local !== undefined) return { module: file, binding: local, exportName };
    const indirect = entries.indirect.find((entry) => entry.exportName === exportName);
    if (indirect) {
      const target = dependencies[indirect.request];
      if (target === undefined) return null;
      if (indirect.importName === "*") return { module: target, binding: NAMESPACE, exportName: "*" };
      return this.resolveExport(target, indirect.importName, resolveSet);
    }
    // A name the TypeScript source exports and the compiled module does not is a type; like
    // any export of the module's own, it shadows what `export *` would give.
    const typed = module.typeScriptExports?.();
    const type = typed?.names.get(exportName);
    if (type) return { module: file, type };
    if (exportName === "default") return null;
    let found: Resolution = null;
    let foundType: TypeResolution | null = null;
    for (const star of entries.stars) {
      const target = dependencies[star.request];
      if (target === undefined) continue;
      const resolution = this.resolveExport(target, exportName, resolveSet);
      if (resolution === "ambiguous") return resolution;
      if (resolution === null) continue;
      if (resolution.type) foundType ??= resolution;
      else if (found === null) found = resolution;
      else if (found.type === undefined && (found.module !== resolution.module || found.binding !== resolution.binding)) return "ambiguous";
    }
    // `export type * from "./x"`: every name x exports, value or type, is a type here.
    if (found === null && foundType === null) {
      for (const star of typed?.typeStars ?? []) {
        const resolution = this.resolveExport(star.file, exportName, resolveSet);
        if (resolution === null || resolution === "ambiguous") continue;
        return { module: file, type: { name: exportName, what: `'${exportName}', exported as a type by \`export type * from "${star.specifier}"\``, position: star.position } };
      }
    }
    return found ?? foundType;
  }

  /** GetExportedNames: every name a module exports, `export *` included (ambiguous ones too). */
  exportedNames(file: string, visited: Set<string>): string[] {
    if (visited.has(file) || file === this.hostModule) return [];
    visited.add(file);
    const module = this.moduleOf(file);
    if (!module) return [];
    const names = [...Object.keys(module.entries.local), ...module.entries.indirect.map((entry) => entry.exportName)];
    const seen = new Set(names);
    for (const star of module.entries.stars) {
      const target = module.dependencies[star.request];
      if (target === undefined) continue;
      for (const name of this.exportedNames(target, visited)) {
        if (name !== "default" && !seen.has(name)) {
          seen.add(name);
          names.push(name);
        }
      }
    }
    return names;
  }
}

/** "interface SpeedActor at scheduler/speed.ts:3:1" */
export function describeType(resolution: TypeResolution): string {
  const { what, position } = resolution.type;
  return `${what} at ${position.file}:${position.line}:${position.column}`;
}
