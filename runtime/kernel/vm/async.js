/**
 * The in-VM half of graft's time features, evaluated in the kernel's context next to the
 * kernel. It keeps every pending timer's callback and arguments (so the host holds only
 * numbers), runs them when the host's event loop says so, queues microtasks, and turns a
 * script promise's settlement into a host callback. Each script context's setTimeout,
 * setInterval, clearTimeout, clearInterval and queueMicrotask are host functions of that
 * context (so they belong to the script's own realm) that call add, clear and microtask.
 *
 * It is plain JavaScript evaluated by QuickJS (runtime/async/scheduler.ts drives it);
 * `hooks` are host functions: schedule(id, delay, repeat, file), unschedule(id),
 * report(error, origin, file) for errors no script code can catch any more (a throwing
 * microtask, a rejected async timer callback), settled(id, fulfilled, value).
 */
(/**
 * @param {{ schedule(id: number, delay: number, repeat: boolean, file: string): void, unschedule(id: number): void,
 *   report(error: unknown, origin: string, file: string): void, settled(id: number, fulfilled: boolean, value: unknown): void }} hooks
 */
function (hooks) {
"use strict";
const apply = Reflect.apply;
const promiseResolve = Promise.resolve.bind(Promise);
const promiseThen = Promise.prototype.then;
const MAX_DELAY = 2147483647;
/** @type {Map<number, Timer>} */
const timers = new SafeMap();
let nextId = 1;

/**
 * Node's rule: anything but a delay in [1, 2^31-1] ms becomes 1 ms.
 * @param {unknown} delay
 */
function toDelay(delay) {
  const ms = Number(delay);
  return ms >= 1 && ms <= MAX_DELAY ? ms : 1;
}

/** @param {unknown} value */
function kindOf(value) {
  return value === null ? "null" : typeof value;
}

/** One pending timer (a class, so that a retainer path reads "property 'callback' of Timer"). */
class Timer {
  /**
   * @param {Function} callback
   * @param {unknown[]} args
   * @param {boolean} repeat
   * @param {string} file
   */
  constructor(callback, args, repeat, file) {
    this.callback = callback;
    this.args = args;
    this.repeat = repeat;
    this.file = file;
  }
}

/**
 * @param {"setTimeout" | "setInterval"} kind
 * @param {string} file
 * @param {unknown} callback
 * @param {unknown} delay
 * @param {unknown[]} args
 */
function add(kind, file, callback, delay, args) {
  if (typeof callback !== "function") {
    throw new TypeError(kind + "(callback, delay): callback must be a function, got " + kindOf(callback) + " (graft does not evaluate strings)");
  }
  const id = nextId++;
  const repeat = kind === "setInterval";
  timers.set(id, new Timer(callback, args, repeat, file));
  hooks.schedule(id, toDelay(delay), repeat, file);
  return id;
}

/** @param {unknown} id */
function clear(id) {
  if (typeof id !== "number") return;
  if (timers.delete(id)) hooks.unschedule(id);
}

/**
 * A rejected promise returned by a callback (an async function) is reported, not lost.
 * @param {any} result
 * @param {string} origin
 * @param {string} file
 */
function watch(result, origin, file) {
  if (result === null || typeof result !== "object" || typeof result.then !== "function") return;
  apply(promiseThen, promiseResolve(result), [undefined, (/** @type {unknown} */ error) => hooks.report(error, origin, file)]);
}

/**
 * Runs timer `id` (called by the host when its Node timer fires).
 * @param {number} id
 */
function fire(id) {
  const entry = timers.get(id);
  if (entry === undefined) return;
  if (!entry.repeat) timers.delete(id);
  const callback = entry.callback;
  // A plain call, not Reflect.apply: the script's stack then ends at its own callback.
  watch(callback(...entry.args), entry.repeat ? "setInterval" : "setTimeout", entry.file);
}

/**
 * Forgets timers the host cancelled (their file version was replaced, or they timed out).
 * @param {number[]} ids
 */
function cancel(ids) {
  for (let i = 0; i < ids.length; i++) timers.delete(/** @type {number} */ (ids[i]));
}

/**
 * @param {string} file
 * @param {unknown} callback
 */
function microtask(file, callback) {
  if (typeof callback !== "function") throw new TypeError("queueMicrotask(callback): callback must be a function, got " + kindOf(callback));
  apply(promiseThen, promiseResolve(undefined), [() => {
    try {
      watch(callback(), "queueMicrotask", file);
    } catch (error) {
      hooks.report(error, "queueMicrotask", file);
    }
  }]);
}

/**
 * Calls hooks.settled(id, ...) once `value` (a promise, a thenable or a plain value) settles.
 * @param {unknown} value
 * @param {number} id
 */
function settle(value, id) {
  apply(promiseThen, promiseResolve(value), [(/** @type {unknown} */ result) => hooks.settled(id, true, result), (/** @type {unknown} */ error) => hooks.settled(id, false, error)]);
}

return { add, clear, microtask, fire, cancel, settle };
})
