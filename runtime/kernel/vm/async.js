/**
 * The in-VM half of graft's time features, evaluated in the kernel's context next to the
 * kernel. It keeps every pending timer's callback and arguments (so the host holds only
 * numbers), runs them when the host's event loop says so, queues microtasks, and turns a
 * script promise's settlement into a host callback. Each script context's setTimeout,
 * setInterval, clearTimeout, clearInterval and queueMicrotask are host functions of that
 * context (so they belong to the script's own realm) that call add, clear and microtask.
 *
 * It is plain JavaScript evaluated by QuickJS (runtime/async/scheduler.ts drives it). The
 * host numbers timers and files (a file's index stands for its path), so that creating a
 * timer passes no strings and calls back nothing. `hooks` are host functions:
 * report(error, origin, file) for errors no script code can catch any more (a throwing
 * microtask, a rejected async timer callback), settled(id, fulfilled, value).
 *
 * Like the kernel, it runs in a realm scripts may reach: it calls only the intrinsics
 * captured before any script ran (intrinsics.js), builds its records with object literals
 * (defined, never set, so a setter on Object.prototype sees no callback), and waits on
 * promises with `await`, which, unlike `then`, looks up no method or species a script
 * could replace.
 */
(/**
 * @param {{ report(error: unknown, origin: string, file: number): void, settled(id: number, fulfilled: boolean, value: unknown): void,
 *   timers(file: number, realm: number): Function[] | undefined }} hooks
 */
function (hooks) {
"use strict";
const { report, settled, timers: makeTimerFunctions } = hooks;
const { Number: toNumber, TypeError } = globalThis;
const MAX_DELAY = 2147483647;
/**
 * @typedef {{ callback: Function, args: unknown[] | undefined, repeat: boolean, file: number }} PendingTimer
 * @type {Map<number, PendingTimer>}
 */
const timers = new SafeMap();

/** The prototype of pending timers: a retainer path then reads "property 'callback' of Timer". */
const Timer = class Timer {};
setPrototypeOf(Timer.prototype, null);

/** @param {unknown} value */
function kindOf(value) {
  return value === null ? "null" : typeof value;
}

/**
 * Records timer `id` (numbered by the host) and returns its delay by Node's rule: anything
 * but a delay in [1, 2^31-1] ms becomes 1 ms.
 * @param {number} id
 * @param {boolean} repeat
 * @param {number} file
 * @param {unknown} callback
 * @param {unknown} delay
 * @param {unknown[] | undefined} args
 */
function add(id, repeat, file, callback, delay, args) {
  if (typeof callback !== "function") {
    throw new TypeError((repeat ? "setInterval" : "setTimeout") + "(callback, delay): callback must be a function, got " + kindOf(callback) + " (graft does not evaluate strings)");
  }
  const ms = typeof delay === "number" ? delay : toNumber(delay);
  const timer = /** @type {PendingTimer} */ ({ __proto__: Timer.prototype, callback, args, repeat, file });
  timers.set(id, timer);
  return ms >= 1 && ms <= MAX_DELAY ? ms : 1;
}

/**
 * A promise a callback returns (an async function) is followed: its rejection is reported, not lost.
 * @param {unknown} result
 * @param {string} origin
 * @param {number} file
 */
function watch(result, origin, file) {
  // Most callbacks return nothing: no promise is made for them.
  if (result !== null && typeof result === "object") follow(result, origin, file);
}

/**
 * @param {object} result
 * @param {string} origin
 * @param {number} file
 */
async function follow(result, origin, file) {
  try {
    await result;
  } catch (error) {
    report(error, origin, file);
  }
}

/**
 * A plain call for the usual arities: the script's stack then ends at its own callback.
 * @param {Function} callback
 * @param {unknown[] | undefined} args
 */
function invoke(callback, args) {
  if (args === undefined) return callback();
  switch (args.length) {
    case 0: return callback();
    case 1: return callback(args[0]);
    case 2: return callback(args[0], args[1]);
    case 3: return callback(args[0], args[1], args[2]);
    default: return apply(callback, undefined, args);
  }
}

/**
 * Runs timer `id` (called by the host when its Node timer fires).
 * @param {number} id
 */
function fire(id) {
  const entry = timers.get(id);
  if (entry === undefined) return;
  if (!entry.repeat) timers.delete(id);
  watch(invoke(entry.callback, entry.args), entry.repeat ? "setInterval" : "setTimeout", entry.file);
}

/**
 * Forgets timers the host cancelled (cleared by a script, replaced with their file version, timed out).
 * @param {number[]} ids
 */
function cancel(ids) {
  for (let i = 0; i < ids.length; i++) timers.delete(/** @type {number} */ (ids[i]));
}

/**
 * @param {number} file
 * @param {unknown} callback
 */
function microtask(file, callback) {
  if (typeof callback !== "function") throw new TypeError("queueMicrotask(callback): callback must be a function, got " + kindOf(callback));
  runMicrotask(file, callback);
}

/**
 * @param {number} file
 * @param {Function} callback
 */
async function runMicrotask(file, callback) {
  await undefined;
  let result;
  try {
    result = callback();
  } catch (error) {
    report(error, "queueMicrotask", file);
    return;
  }
  watch(result, "queueMicrotask", file);
}

/**
 * Calls settled(id, ...) once `value` (a promise, a thenable or a plain value) settles.
 * @param {unknown} value
 * @param {number} id
 */
async function settle(value, id) {
  let result;
  try {
    result = await value;
  } catch (error) {
    settled(id, false, error);
    return;
  }
  settled(id, true, result);
}

/** A script context's timer globals, in the order the host makes them (Scheduler.timerFunctions). */
const TIMER_GLOBALS = list("setTimeout", "setInterval", "clearTimeout", "clearInterval", "queueMicrotask");

/**
 * A script context's global, until its timer globals are made: its file's number and its
 * realm (JSContext address), for the host.
 * @type {WeakMap<object, [number, number]>}
 */
const timersToMake = new SafeWeakMap();

/**
 * Makes a script context's timer globals, on the first read of any of them: the host makes
 * the five functions in the script's own realm, and each becomes a plain data property
 * (one the script set or deleted meanwhile is left as it is). Undefined when the global
 * has none to make (its realm is gone).
 * @param {object} global
 * @returns {Function[] | undefined}
 */
function makeTimers(global) {
  const entry = timersToMake.get(global);
  if (entry === undefined) return undefined;
  timersToMake.delete(global);
  const made = makeTimerFunctions(entry[0], entry[1]);
  if (made === undefined) return undefined;
  for (let i = 0; i < TIMER_GLOBALS.length; i++) {
    const name = /** @type {string} */ (TIMER_GLOBALS[i]);
    const descriptor = intrinsicDescriptor(global, name);
    if (descriptor === undefined || descriptor.get !== timerGetters[i]) continue;
    reflectDefineProperty(global, name, { value: made[i], writable: true, enumerable: true, configurable: true });
  }
  return made;
}

/** The shared accessors of every script context's timer globals, one pair per name. */
const timerGetters = TIMER_GLOBALS.map((_, index) => freeze(/** @this {object} */ function () {
  const made = makeTimers(this);
  return made === undefined ? undefined : made[index];
}));
const timerSetters = TIMER_GLOBALS.map((name) => freeze(/** @this {object} @param {unknown} value */ function (value) {
  reflectDefineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
}));

/**
 * Gives a script context (by its global object) setTimeout, setInterval, clearTimeout,
 * clearInterval and queueMicrotask, made on first use (most scripts use none: making five
 * host functions per context was ~5 % of a big start-up). Until then each is an accessor,
 * enumerable and configurable like the data property it becomes.
 * @param {object} global
 * @param {number} file
 * @param {number} realm
 */
function installTimers(global, file, realm) {
  timersToMake.set(global, list(file, realm));
  for (let i = 0; i < TIMER_GLOBALS.length; i++) {
    reflectDefineProperty(global, /** @type {string} */ (TIMER_GLOBALS[i]), { get: timerGetters[i], set: timerSetters[i], enumerable: true, configurable: true });
  }
}

return { add, microtask, fire, cancel, settle, installTimers };
})
