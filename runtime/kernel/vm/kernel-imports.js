/**
 * Dynamic `import()` (A3): the promise a script gets, settled when the host has loaded (or
 * failed to load) the file. The host resolves the specifier with the rules of static imports
 * and loads the file through the reload engine (runtime/reload/dynamic-imports.ts); here the
 * request is read as ES's EvaluateImportCall reads it (ToString of the specifier, the
 * options' `with` object) and settled with the file's module namespace object.
 */
"use strict";

/** @param {ReturnType<typeof kernelNamespaces>} namespaces */
const kernelImports = (namespaces) => {
const { Error, Promise } = globalThis;
const { fileRecord, namespaceObject } = namespaces;
/** @type {Map<number, { resolve: (value: unknown) => void, reject: (error: unknown) => void }>} */
const waiting = new SafeMap();
let nextId = 1;
/** @typedef {(importer: string, specifier: string, type: string | undefined, id: number, problem?: string, message?: string) => void} ImportHandler */
/** @type {ImportHandler | null} */
let handler = null;

/** @param {ImportHandler} receive */
function setImportHandler(receive) {
  handler = receive;
}

/**
 * The `type` of import()'s options (`{ with: { type: "json" } }`), read as ES does:
 * attribute values must be strings, and `type` is the one attribute supported. What is
 * wrong with them is told to the host ([error class, message]), which rejects with an
 * error of the importing script's own realm; what their getters throw propagates as it is.
 * @param {unknown} options
 * @returns {{ type: string | undefined, problem: [string, string] | null }}
 */
function typeOf(options) {
  /** @param {string} name @param {string} message */
  const fail = (name, message) => bare({ type: undefined, problem: /** @type {[string, string]} */ (list(name, message)) });
  if (options === undefined) return bare({ type: undefined, problem: null });
  if (typeof options !== "object" || options === null) return fail("TypeError", "the second argument of import() must be an object");
  const attributes = /** @type {{ with?: unknown }} */ (options).with;
  if (attributes === undefined) return bare({ type: undefined, problem: null });
  if (typeof attributes !== "object" || attributes === null) return fail("TypeError", "the 'with' option of import() must be an object");
  /** @type {string | undefined} */
  let type;
  for (const key of objectKeys(attributes)) {
    const value = /** @type {Record<string, unknown>} */ (attributes)[key];
    if (typeof value !== "string") return fail("TypeError", "import attribute '" + key + "' must be a string");
    if (key !== "type") return fail("SyntaxError", "unsupported import attribute '" + key + "': the only one is type");
    type = value;
  }
  return bare({ type, problem: null });
}

/**
 * import(specifier, options) in `file`: a promise of the module namespace object.
 * @param {string} file
 * @param {unknown} specifier
 * @param {unknown} options
 */
function requestImport(file, specifier, options) {
  /** @type {(value: unknown) => void} */
  let resolve = () => {};
  /** @type {(error: unknown) => void} */
  let reject = () => {};
  const promise = new Promise((fulfil, fail) => { resolve = fulfil; reject = fail; });
  try {
    const text = String(specifier);
    const { type, problem } = typeOf(options);
    if (handler === null) throw new Error("import(" + stringify(text) + ") in " + file + ": dynamic import is not available");
    const id = nextId++;
    waiting.set(id, bare({ resolve, reject }));
    const receive = handler;
    if (problem === null) receive(file, text, type, id);
    else receive(file, text, type, id, problem[0], problem[1]);
  } catch (error) {
    reject(error);
  }
  return promise;
}

/**
 * Settles a request: with `file`'s namespace, or (file null) rejected with `error` (made by
 * the host in the importing script's realm).
 * @param {number} id
 * @param {string | null} file
 * @param {unknown} error
 */
function settleImport(id, file, error) {
  const request = waiting.get(id);
  if (request === undefined) return;
  waiting.delete(id);
  if (file !== null) request.resolve(namespaceObject(fileRecord(file)));
  else request.reject(error);
}

return bare({ requestImport, setImportHandler, settleImport });
};
