import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { resolveSpecifier, scriptExists } from "../files/script-files.js";
import { importTypeProblem } from "./import-types.js";
import type { ReloadError } from "./reload-report.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Vm } from "../vm/vm.js";
import type { TransactionExecutor } from "./executor.js";
import { HOST_MODULE, type Candidate, type LoadedFile } from "./candidate.js";

/** What answering import() needs of the reload engine, given at construction. */
export interface DynamicImportParts {
  root: string;
  vm: Vm;
  kernel: Kernel;
  executor: TransactionExecutor;
  running(file: string): LoadedFile | undefined;
  /** Why a file on disk does not run as it is there, if it does not. */
  failed(file: string): ReloadError | undefined;
  /** Loads a file that does not run: a reload of it alone, after the reloads under way. */
  loadAlone(file: string): Promise<void>;
  /** The file and its imports that do not run, compiled and resolved, in import order (files of the open transaction left out); or why not. */
  prepare(file: string, inTransaction: (file: string) => boolean): Promise<Candidate[] | ReloadError>;
  /** A file import() could not load, for failures(). */
  hold(error: ReloadError, source: string | undefined, dependencies: string[]): void;
  isDisposed(): boolean;
}

/**
 * Scripts' import() (A3): the kernel hands each call here (kernel-imports.js); it is
 * resolved as a static import is, and answered with the file's namespace once the file runs.
 * A file not running is loaded: into the transaction under way if that waits on a top-level
 * await (which may be waiting for it), else by a reload of its own after the reloads under
 * way. A file that fails rejects the import with its error, of the importer's own realm.
 */
export class DynamicImports {
  readonly importers = new DynamicImporters();
  /** Files import() loaded into a transaction: a start-up or retry pass in progress skips them. */
  readonly loadedIntoTransaction = new Set<string>();

  constructor(private readonly parts: DynamicImportParts) {
    // Called while a script runs: answered once it has returned.
    parts.kernel.setImportHandler((importer, specifier, type, id, problem) =>
      queueMicrotask(() => (problem ? this.settle({ importer, specifier, type, id }, problem) : this.dispatch({ importer, specifier, type, id }))),
    );
  }

  private dispatch(request: ImportRequest): void {
    this.answer(request).catch((error: unknown) => {
      // graft's own failure: the script's promise rejects with it rather than never settling.
      const message = `graft could not load '${request.specifier}' for ${request.importer}: ${error instanceof Error ? error.message : String(error)}`;
      this.settle(request, { name: "Error", message });
    });
  }

  private async answer(request: ImportRequest): Promise<void> {
    const { executor } = this.parts;
    if (this.parts.isDisposed()) return;
    const resolved = resolveDynamicImport(this.parts.root, request, HOST_MODULE);
    if (!("file" in resolved)) return this.settle(request, resolved);
    const { file } = resolved;
    this.importers.add(request.importer, file);
    const state = executor.stateOf(file);
    if (state === "evaluated") return this.settle(request, file);
    if (state === "pending") {
      executor.whenEvaluated(file, (error) => this.settle(request, error ? rejectionOf(error) : file));
      return;
    }
    if (this.parts.running(file)) return this.settle(request, file);
    // Failed as it is on disk: as ES keeps a module's error, import() rejects with it (a save retries the file).
    const failed = this.parts.failed(file);
    if (failed) return this.settle(request, rejectionOf(failed));
    const open = executor.openState;
    if (open === "waiting") return this.loadIntoTransaction(request, file);
    if (open === "running") {
      executor.afterTransaction(() => this.dispatch(request));
      return;
    }
    await this.parts.loadAlone(file);
    const error = this.parts.failed(file);
    if (this.parts.running(file)) this.settle(request, file);
    else this.settle(request, error ? rejectionOf(error) : { name: "Error", message: `${file} could not be loaded` });
  }

  private async loadIntoTransaction(request: ImportRequest, file: string): Promise<void> {
    const { executor } = this.parts;
    const prepared = await this.parts.prepare(file, (other) => executor.stateOf(other) !== undefined);
    if (!Array.isArray(prepared)) {
      this.parts.hold(prepared, undefined, []);
      return this.settle(request, rejectionOf(prepared));
    }
    if (executor.openState !== "waiting") return this.dispatch(request);
    const failure = await executor.addToOpen(prepared);
    if (failure) {
      const candidate = prepared.find((entry) => entry.path === failure.file);
      this.parts.hold(failure, candidate?.script.source, candidate?.dependencies ?? []);
      return this.settle(request, rejectionOf(failure));
    }
    for (const candidate of prepared) this.loadedIntoTransaction.add(candidate.path);
    this.settle(request, file);
  }

  /** Settles an import() with `file`'s namespace, or rejects it with an error of the importer's own realm. */
  private settle(request: ImportRequest, outcome: string | ImportRejection): void {
    const { vm, kernel, executor } = this.parts;
    if (this.parts.isDisposed() || vm.crashed !== undefined) return;
    try {
      if (typeof outcome === "string") {
        kernel.settleImport(request.id, { file: outcome });
      } else {
        const context = executor.contextOf(request.importer) ?? this.parts.running(request.importer)?.context ?? kernel.context;
        const error = vm.guard(() => errorIn(context, outcome));
        try {
          kernel.settleImport(request.id, { error });
        } finally {
          error.dispose();
        }
      }
    } catch {
      // The VM could not even settle it (out of memory, the budget ran out, or it crashed):
      // the promise stays pending. Nothing here may throw: this runs from Node's event loop.
      return;
    }
    try {
      vm.drainJobs();
    } catch {
      // A job that fails is reported by the VM's own job handling; a crashed VM runs nothing more.
    }
  }
}

/** A script's `import(specifier, { with: { type } })`, as the kernel hands it to the host. */
export interface ImportRequest {
  importer: string;
  specifier: string;
  type: string | undefined;
  id: number;
}

/** What an import() rejects with: the class of error a script sees, and its message. */
export interface ImportRejection {
  name: string;
  message: string;
}

/**
 * Which running files imported which files with `import()`: the reload path treats them as
 * importers (an edit of the file re-runs them, its deletion leaves them waiting for it), as
 * for static imports (R13). An edge lasts until the importer is removed.
 */
export class DynamicImporters {
  private readonly byTarget = new Map<string, Set<string>>();
  private readonly byImporter = new Map<string, Set<string>>();

  add(importer: string, target: string): void {
    if (importer === target) return; // a module importing itself is no dependency
    let importers = this.byTarget.get(target);
    if (importers === undefined) this.byTarget.set(target, (importers = new Set()));
    importers.add(importer);
    let targets = this.byImporter.get(importer);
    if (targets === undefined) this.byImporter.set(importer, (targets = new Set()));
    targets.add(target);
  }

  /** The files that imported `target` dynamically. */
  importersOf(target: string): ReadonlySet<string> {
    return this.byTarget.get(target) ?? EMPTY;
  }

  /** The files `importer` imported dynamically. */
  importsOf(importer: string): ReadonlySet<string> {
    return this.byImporter.get(importer) ?? EMPTY;
  }

  /** `importer` was removed: what it imported no longer matters to it. */
  deleteImporter(importer: string): void {
    for (const target of this.byImporter.get(importer) ?? []) {
      const importers = this.byTarget.get(target);
      importers?.delete(importer);
      if (importers?.size === 0) this.byTarget.delete(target);
    }
    this.byImporter.delete(importer);
  }

  clear(): void {
    this.byTarget.clear();
    this.byImporter.clear();
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * The file an import() names, by the rules of static imports (S2): a relative path to a
 * script (extension optional) or JSON file inside the folder, with the type attribute
 * its kind asks for. Anything else rejects with the error a static import gets.
 */
export function resolveDynamicImport(root: string, request: ImportRequest, hostModule: string): { file: string } | ImportRejection {
  const { importer, specifier, type } = request;
  if (specifier === hostModule) {
    return { name: "TypeError", message: `import("${hostModule}") in ${importer}: the host module is imported statically (import { ... } from "${hostModule}")` };
  }
  const resolved = resolveSpecifier(importer, specifier, (file) => scriptExists(root, file));
  if (resolved === undefined) {
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    const message = relative
      ? `cannot find '${specifier}' imported by ${importer}: no script matches it inside the scripts folder (extension optional: .ts, .js, .mjs)`
      : `'${specifier}' cannot be imported: scripts may import other scripts by relative path and "${hostModule}"`;
    return { name: "TypeError", message };
  }
  const problem = importTypeProblem(specifier, type, resolved);
  if (problem) return { name: "SyntaxError", message: `${problem.message.replace(/^syntax error: /, "")} (in ${importer}); ${problem.hint}` };
  return { file: resolved };
}

/**
 * What a file's failure rejects an import() with: the error its module threw (its class
 * and message, as the importer would catch it from a static import's evaluation), or for a
 * file that could not load at all, an Error with graft's full account.
 */
export function rejectionOf(error: ReloadError): ImportRejection {
  const thrown = /^([A-Z][A-Za-z]*Error): ([\s\S]*)$/.exec(error.message);
  if (thrown) return { name: thrown[1]!, message: thrown[2]! };
  if (error.message.startsWith("syntax error: ")) return { name: "SyntaxError", message: `${error.file}: ${error.message.slice("syntax error: ".length)}` };
  return { name: "Error", message: error.text };
}

/** Code that makes an error of the context's own classes (a rejection the importer can test with instanceof). */
const MAKE_ERROR = `(name, message) => {
  const classes = { Error, TypeError, SyntaxError, RangeError, ReferenceError, EvalError, URIError };
  return new (Object.hasOwn(classes, name) ? classes[name] : Error)(message);
}`;

/**
 * An error of `context`'s realm (the importing script's): owned by the caller. Run under
 * the VM's guard by the caller; throws if the context cannot make it.
 */
export function errorIn(context: QuickJSContext, rejection: ImportRejection): QuickJSHandle {
  const maker = context.unwrapResult(context.evalCode(MAKE_ERROR, "graft:import-error", { type: "global", strict: true }));
  const name = context.newString(rejection.name);
  const message = context.newString(rejection.message);
  try {
    return context.unwrapResult(context.callFunction(maker, context.undefined, name, message));
  } finally {
    maker.dispose();
    name.dispose();
    message.dispose();
  }
}
