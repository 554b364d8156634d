import type { ModuleEntries } from "../compile/module-transform.js";

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
}

export interface LinkError {
  /** Where in the stripped code the import or re-export is written. */
  offset: number;
  message: string;
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
}

/** `binding` identifies the binding (for ambiguity); `exportName` is how `module` exports it ("*": its namespace). */
type Resolution = { module: string; binding: string; exportName: string } | null | "ambiguous";

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
    if (!module) return { errors: [], starExports: [] };
    const errors: LinkError[] = [];
    const { entries, dependencies } = module;
    const check = (request: number, importName: string, offset: number, what: string): void => {
      const target = dependencies[request];
      // A file not running (it failed to load) is not resolved against: the loader reports it.
      if (target === undefined || target === this.hostModule || importName === "*" || !this.moduleOf(target)) return;
      const resolution = this.resolveExport(target, importName, []);
      if (resolution === "ambiguous") {
        errors.push({ offset, message: `${what} '${importName}' of ${target} is ambiguous: two \`export *\` of it give different bindings of that name` });
      } else if (resolution === null) {
        errors.push({ offset, message: `${what} '${importName}' of ${target}, which does not export it` });
      }
    };
    for (const entry of entries.imports) check(entry.request, entry.importName, entry.offset, "imports");
    for (const entry of entries.indirect) check(entry.request, entry.importName, entry.offset, "re-exports");
    const starExports: StarExport[] = [];
    const own = new Set([...Object.keys(entries.local), ...entries.indirect.map((entry) => entry.exportName)]);
    for (const name of this.exportedNames(file, new Set())) {
      if (own.has(name)) continue;
      const resolution = this.resolveExport(file, name, []);
      if (resolution === null || resolution === "ambiguous") continue;
      starExports.push({ name, module: resolution.module, exportName: resolution.exportName });
    }
    return { errors, starExports };
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
    if (exportName === "default") return null;
    let found: Resolution = null;
    for (const star of entries.stars) {
      const target = dependencies[star.request];
      if (target === undefined) continue;
      const resolution = this.resolveExport(target, exportName, resolveSet);
      if (resolution === "ambiguous") return resolution;
      if (resolution === null) continue;
      if (found === null) found = resolution;
      else if ((found.module !== resolution.module || found.binding !== resolution.binding)) return "ambiguous";
    }
    return found;
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
