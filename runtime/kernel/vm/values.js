/**
 * Reading script values for the host without running script code (issue 13). Copies
 * (toHost(), host function arguments) and error texts are read here, in the kernel's
 * realm, from own data properties only: no getter, `toJSON`, `toString` or Proxy trap a
 * script defines ever runs, however it set them up (on the value, its prototypes, or
 * `Object.prototype` of its realm). What cannot be copied that way fails with a path
 * ("x.items[3]: a Map"). The walk is iterative and bounded in values and depth; its time
 * is bounded by the caller's time budget.
 *
 * Whether an object is a Proxy cannot be asked in JavaScript without running its traps,
 * so the host answers it: `classOf` (set by setClassReader) reads the object's class from
 * VM memory. Only objects of class Object, Array and Error are looked into.
 *
 * Evaluated after intrinsics.js, whose captured functions it uses; returns its functions.
 */
(function () {
"use strict";

/**
 * @typedef {{ kind: "array" | "object", value: any, keys: Key[] | null, index: number, open: boolean }} Frame
 */

const { TypeError, RangeError } = globalThis;
const { isFrozen } = Object;

/**
 * The accessors lockDownRealm puts in place of prototypes' data properties: one getter and
 * one setter per property name, shared by every prototype tamed for it, and each of those
 * prototypes' value (read by the getter, and by inheritedString as the data it was).
 * @typedef {{ getter: () => unknown, setter: (next: unknown) => void, values: Map<object, unknown> }} TamedKey
 * @type {Map<Key, TamedKey>}
 */
const tamedKeys = new SafeMap();

/** Everything lockDownRealm froze or tamed, frozen itself once it is done. @type {unknown[]} */
const lockedDown = new SafeArray();

/** The host's reader of an object's QuickJS class name ("Object", "Array", "Proxy", ...). */
/** @type {((value: object) => string) | null} */
let classOf = null;

/** @param {(value: object) => string} reader */
function setClassReader(reader) {
  classOf = reader;
}

/** @param {object} value */
function classNameOf(value) {
  if (classOf === null) throw new TypeError("graft kernel: no class reader installed");
  return classOf(value);
}

/**
 * A plain object: class Object, prototype null or some realm's Object.prototype (itself
 * of class Object with a null prototype and its own isPrototypeOf). Never a Proxy.
 * @param {object} value
 */
function isPlainObject(value) {
  if (classNameOf(value) !== "Object") return false;
  const proto = getPrototypeOf(value);
  if (proto === null) return true;
  return classNameOf(proto) === "Object" && getPrototypeOf(proto) === null && hasOwn(proto, "isPrototypeOf");
}

/** @param {string} path @param {string} key */
function childPath(path, key) {
  return shortPath(path + (isIdentifierKey(key) ? "." + key : "[" + stringify(key) + "]"));
}

/** Long paths keep their start and end: "the value.o.o ... .o.o". @param {string} path */
function shortPath(path) {
  return path.length <= 160 ? path : stringSlice(path, 0, 60) + " ... " + stringSlice(path, path.length - 80);
}

/** @param {string} key */
function isIdentifierKey(key) {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const code = stringCharCodeAt(key, i);
    const letter = (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
    if (!letter && !(i > 0 && code >= 48 && code <= 57)) return false;
  }
  return true;
}

/** @param {string} path @param {string} what */
function cannotCopy(path, what) {
  return new TypeError("cannot copy " + path + ": " + what);
}

/**
 * Encodes `root` as JSON text the host decodes (host-api/copy-out.ts): arrays as
 * ["a", ...items], undefined ["u"], non-finite numbers and -0 ["n", text], bigints
 * ["b", digits], references ["r", index into the returned list]. Returns [text, refs].
 *
 * mode "copy" (toHost): objects of any class Object (plain or instances) copy their own
 * enumerable data properties; functions and symbols are left out (null in arrays);
 * anything else fails. mode "share" (values reaching the host by a call): plain objects
 * and arrays are copied, everything else is passed by reference.
 *
 * @param {unknown} root
 * @param {"copy" | "share"} mode
 * @param {number} maxValues
 * @param {number} maxDepth
 * @param {string} rootPath how errors name the root ("the value", "argument 1 of send")
 */
function copyOut(root, mode, maxValues, maxDepth, rootPath) {
  /** @type {unknown[]} */
  const refs = new SafeArray();
  /** @type {Set<object>} objects on the path from the root: a cycle */
  const ancestors = new SafeSet();
  /** @type {Frame[]} */
  const stack = new SafeArray();
  /** @type {string[]} */
  const paths = new SafeArray();
  let out = "";
  let values = 0;

  /**
   * Writes a leaf, or opens a frame for an object to walk. Returns false when the value
   * is to be left out (a function or symbol in "copy" mode).
   * @param {unknown} value
   * @param {string} path
   */
  const visit = (value, path) => {
    if (++values > maxValues) throw new RangeError("cannot copy " + rootPath + ": more than " + maxValues + " values; pass less data, or a ScriptValue by reference");
    switch (typeof value) {
      case "string": out += stringify(value); return true;
      case "boolean": out += value ? "true" : "false"; return true;
      case "undefined": out += '["u"]'; return true;
      case "bigint": out += '["b","' + value + '"]'; return true;
      case "number":
        if (value !== value || value === Infinity || value === -Infinity || (value === 0 && 1 / value < 0)) out += '["n","' + (value !== value ? "NaN" : value === 0 ? "-0" : value > 0 ? "Infinity" : "-Infinity") + '"]';
        else out += "" + value;
        return true;
      case "symbol":
      case "function":
        if (mode === "share") return reference(value);
        return false;
      default: break;
    }
    if (value === null) {
      out += "null";
      return true;
    }
    const object = /** @type {object} */ (value);
    const className = classNameOf(object);
    const plain = className === "Array" || isPlainObject(object);
    if (mode === "share" && !plain) return reference(object);
    if (mode === "copy" && className !== "Array" && className !== "Object") {
      throw cannotCopy(path, "a " + (className === "Proxy" ? "Proxy (its traps would run script code)" : className) + "; convert it to plain data in the script, or pass it by reference with get()");
    }
    if (ancestors.has(object)) throw cannotCopy(path, "it contains a cycle (it holds itself); pass it by reference with get() instead");
    if (stack.length >= maxDepth) throw cannotCopy(path, "nested more than " + maxDepth + " levels deep");
    const holder = mode === "share" ? accessorFree(object, className === "Array") : true;
    if (!holder) return reference(object);
    ancestors.add(object);
    if (className === "Array") {
      const length = /** @type {unknown[]} */ (object).length;
      if (length > maxValues - values) throw new RangeError("cannot copy " + path + ": an array of " + length + " items, more than the " + maxValues + " values a copy may hold; pass less data, or a ScriptValue by reference");
      out += '["a"';
      stack.push(bare({ kind: "array", value: object, keys: null, index: 0, open: true }));
    } else {
      out += "{";
      stack.push(bare({ kind: "object", value: object, keys: objectKeys(object), index: 0, open: true }));
    }
    paths.push(path);
    return true;
  };

  /** @param {unknown} value */
  const reference = (value) => {
    out += '["r",' + refs.length + "]";
    refs.push(value);
    return true;
  };

  /**
   * Whether every own property is a data property (a plain object with a getter is shared
   * by reference: copying would run the getter).
   * @param {object} object
   * @param {boolean} array
   */
  const accessorFree = (object, array) => {
    const keys = array ? null : objectKeys(object);
    const count = array ? /** @type {unknown[]} */ (object).length : /** @type {Key[]} */ (keys).length;
    if (array && count > maxValues) return true; // refused with a clear error by visit
    for (let i = 0; i < count; i++) {
      const descriptor = intrinsicDescriptor(object, array ? "" + i : /** @type {Key} */ (/** @type {Key[]} */ (keys)[i]));
      if (descriptor !== undefined && !hasOwn(descriptor, "value")) return false;
    }
    return true;
  };

  visit(root, rootPath);
  while (stack.length > 0) {
    const frame = /** @type {Frame} */ (stack[stack.length - 1]);
    const path = /** @type {string} */ (paths[paths.length - 1]);
    if (frame.kind === "array") {
      const array = /** @type {unknown[]} */ (frame.value);
      if (frame.index >= array.length) {
        out += "]";
        close(frame);
        continue;
      }
      const index = frame.index++;
      const descriptor = intrinsicDescriptor(array, "" + index);
      const itemPath = shortPath(path + "[" + index + "]");
      out += ",";
      if (descriptor === undefined) {
        out += '["u"]';
      } else if (!hasOwn(descriptor, "value")) {
        throw cannotCopy(itemPath, "an accessor (getter/setter), which would run script code; read it with get()");
      } else if (!visit(descriptor.value, itemPath)) {
        out += "null";
      }
      continue;
    }
    const keys = /** @type {Key[]} */ (frame.keys);
    if (frame.index >= keys.length) {
      out += "}";
      close(frame);
      continue;
    }
    const key = /** @type {string} */ (keys[frame.index++]);
    const descriptor = intrinsicDescriptor(frame.value, key);
    if (descriptor === undefined) continue;
    if (!hasOwn(descriptor, "value")) {
      throw cannotCopy(childPath(path, key), "an accessor (getter/setter), which would run script code; read it with get()");
    }
    const mark = out;
    out += (frame.open ? "" : ",") + stringify(key) + ":";
    if (visit(descriptor.value, childPath(path, key))) frame.open = false;
    else out = mark;
  }
  return list(out, refs);

  /** @param {Frame} frame */
  function close(frame) {
    ancestors.delete(frame.value);
    stack.pop();
    paths.pop();
  }
}

/**
 * What the host shows of a thrown value, read without running script code: for an Error,
 * its own `message` and `stack` and the `name` found on its prototype chain (data
 * properties only); a primitive as itself; another object as a copy, or a description.
 * Returns JSON text (or the primitive).
 * @param {unknown} thrown
 */
function describeThrown(thrown) {
  if (thrown === null || (typeof thrown !== "object" && typeof thrown !== "function")) {
    if (typeof thrown === "symbol") return symbolToString(thrown);
    return typeof thrown === "string" ? bounded(thrown, MAX_THROWN_MESSAGE) : thrown;
  }
  const object = /** @type {object} */ (thrown);
  const className = classNameOf(object);
  if (className === "Error") {
    const message = ownString(object, "message");
    const stack = ownString(object, "stack");
    const name = inheritedString(object, "name") ?? "Error";
    return stringify(bare({ name: bounded(name, MAX_THROWN_NAME), message: bounded(message ?? "", MAX_THROWN_MESSAGE), stack: bounded(stack ?? "", MAX_THROWN_STACK) }));
  }
  try {
    const [text] = copyOut(thrown, "copy", 1000, 16, "the thrown value");
    if (text.length > MAX_THROWN_COPY) {
      return stringify(bare({ name: "Error", message: "a " + (className === "Object" ? "non-Error object" : className) + " was thrown (too large to show: " + text.length + " characters as a copy)", stack: "" }));
    }
    // An instance of a class that is no Error (`throw new Test262Error()`) is named after its class.
    const name = constructorName(object);
    return stringify(name === undefined ? bare({ copy: text }) : bare({ copy: text, name: bounded(name, MAX_THROWN_NAME) }));
  } catch {
    return stringify(bare({ name: "Error", message: "a " + (className === "Object" ? "non-Error object" : className) + " was thrown", stack: "" }));
  }
}

/*
 * What a thrown value's description keeps (issue 24): a script may throw an error whose
 * stack is megabytes long, and all of it would cross to the host, be mapped line by line
 * and sit in every report.
 */
const MAX_THROWN_NAME = 200;
const MAX_THROWN_MESSAGE = 8 * 1024;
const MAX_THROWN_STACK = 16 * 1024;
const MAX_THROWN_COPY = 64 * 1024;

/**
 * `text` cut at `limit` characters, saying how much was left out.
 * @param {string} text
 * @param {number} limit
 */
function bounded(text, limit) {
  return text.length > limit ? stringSlice(text, 0, limit) + "… (" + (text.length - limit) + " more characters)" : text;
}

/**
 * The name of the class an ordinary object was made by (its prototype's own `constructor`),
 * read from data properties only; undefined for plain objects.
 * @param {object} object
 */
function constructorName(object) {
  const proto = getPrototypeOf(object);
  if (proto === null || classNameOf(proto) !== "Object") return undefined;
  const constructor = intrinsicDescriptor(proto, "constructor");
  if (constructor === undefined || typeof constructor.value !== "function") return undefined;
  const name = ownString(constructor.value, "name");
  return name === undefined || name === "" || name === "Object" ? undefined : name;
}

/**
 * @param {object} object
 * @param {string} key
 */
function ownString(object, key) {
  const descriptor = intrinsicDescriptor(object, key);
  return descriptor !== undefined && typeof descriptor.value === "string" ? descriptor.value : undefined;
}

/**
 * A string data property found up the prototype chain, through ordinary objects only.
 * @param {object} object
 * @param {string} key
 */
function inheritedString(object, key) {
  /** @type {object | null} */
  let current = object;
  for (let depth = 0; current !== null && depth < 64; depth++) {
    const className = classNameOf(current);
    if (className !== "Error" && className !== "Object") return undefined;
    const descriptor = intrinsicDescriptor(current, key);
    if (descriptor !== undefined) {
      const tamed = tamedKeys.get(key);
      const value = tamed !== undefined && descriptor.get === tamed.getter ? tamed.values.get(current) : descriptor.value;
      return typeof value === "string" ? value : undefined;
    }
    current = getPrototypeOf(current);
  }
  return undefined;
}

/**
 * `target[key]`, as a script would read it (getters run; under the caller's time budget).
 * @param {any} target
 * @param {Key} key
 */
function get(target, key) {
  return target[key];
}

/**
 * `target[key] = value` in strict mode: a frozen object or a setter's exception throws.
 * @param {any} target
 * @param {Key} key
 * @param {unknown} value
 */
function set(target, key, value) {
  target[key] = value;
}

/**
 * Every function of this realm a script can hold (a host function, hot.accept, a decorator
 * context's addInitializer) leads to the realm's Function constructor through `constructor`,
 * and that constructor compiles code here: `hostFn.constructor("return this")()` handed a
 * script this realm's global object, whose variables this QuickJS build lets
 * Object.defineProperty replace even once frozen (JSON, undefined: graft's reloads then
 * failed). The four function prototypes' `constructor` becomes a function that refuses;
 * graft's own code never compiles from strings. The global's Function, eval and the like
 * stay as they are, out of reach with the global itself.
 */
function refuseCodeFromStrings() {
  const prototypes = [FUNCTION_PROTOTYPE, getPrototypeOf(function* () {}), getPrototypeOf(async function () {}), getPrototypeOf(async function* () {})];
  for (let i = 0; i < prototypes.length; i++) {
    const prototype = prototypes[i];
    if (isFrozen(prototype)) continue;
    const refused = function () {
      throw new TypeError("graft: code cannot be compiled from a string in graft's kernel realm (a host function's constructor); use the Function of the script's own realm");
    };
    defineProperty(refused, "prototype", bare({ value: prototype, writable: false, enumerable: false, configurable: false }));
    defineProperty(prototype, "constructor", bare({ value: refused, writable: true, enumerable: false, configurable: true }));
  }
}

/**
 * Freezes everything reachable from this realm's global object: the intrinsics and their
 * prototypes, and graft's captured helpers. Run once graft's own code is in place (the
 * kernel, async.js, the host module). Scripts hold objects of this realm (host functions,
 * hot.data, namespace getters) but cannot run code in it (refuseCodeFromStrings); frozen,
 * nothing in it can be changed by one file to act on another (a setter on Object.prototype, a replaced Reflect.ownKeys). graft's own state
 * lives in closures, out of reach and unfrozen.
 */
/** @param {...unknown} alsoFreeze more of graft's objects that every file shares */
function lockDownRealm(...alsoFreeze) {
  refuseCodeFromStrings();
  /** @type {Set<unknown>} */
  const seen = new SafeSet();
  /** @type {unknown[]} */
  const todo = new SafeArray();
  todo.push(globalThis);
  // Intrinsics no global property leads to: iterator prototypes, the constructors of
  // generator and async functions, %TypedArray%.
  todo.push(
    getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map()[Symbol.iterator]()), getPrototypeOf(new Set()[Symbol.iterator]()),
    getPrototypeOf(""[Symbol.iterator]()), getPrototypeOf(/(?:)/[Symbol.matchAll]("")),
    getPrototypeOf(function* () {}), getPrototypeOf(async function () {}), getPrototypeOf(async function* () {}),
    getPrototypeOf((function* () {})()), getPrototypeOf(Int8Array),
  );
  for (let i = 0; i < alsoFreeze.length; i++) todo.push(alsoFreeze[i]);
  while (todo.length > 0) {
    const object = /** @type {object} */ (todo.pop());
    if ((typeof object !== "object" || object === null) && typeof object !== "function") continue;
    if (seen.has(object)) continue;
    seen.add(object);
    const keys = ownKeys(object);
    for (let i = 0; i < keys.length; i++) {
      const descriptor = intrinsicDescriptor(object, /** @type {Key} */ (keys[i]));
      if (descriptor === undefined) continue;
      const value = descriptor.value;
      // Objects, and constructors (with their prototypes); a plain method's own name and
      // length change nothing any code relies on, and freezing each would cost start-up.
      if ((typeof value === "object" && value !== null) || (typeof value === "function" && hasOwn(value, "prototype"))) todo.push(value);
    }
    const proto = getPrototypeOf(object);
    if (proto !== null) todo.push(proto);
    if (isFrozen(object)) continue;
    if (hasOwn(object, "constructor") && typeof object !== "function") tameOverrides(object);
    freeze(object);
  }
  // What the lockdown froze, and the values it tamed, live as long as the realm: held here
  // in one frozen array, which tells the heap tools so (runtime/heap/permanent-objects.ts:
  // they leave it all out of each collection's walk).
  if (!isFrozen(lockedDown)) {
    seen.forEach((object) => { lockedDown.push(object); });
    tamedKeys.forEach((tamed) => { tamed.values.forEach((value) => { lockedDown.push(value); }); });
    freeze(lockedDown);
  }
}

/** Prototypes whose methods are commonly replaced on instances: all their properties are tamed. */
/** @type {Set<object>} */
const OVERRIDABLE_METHODS = new SafeSet(list(Object.prototype, Error.prototype));

/**
 * Frozen, a prototype's data property would forbid assigning that name on every object
 * inheriting it (the "override mistake": `error.message = "..."` fails when
 * Error.prototype.message is read-only, and quickjs-emscripten builds host errors just
 * so). Each becomes an accessor that reads the same value and, assigned on an inheriting
 * object, defines the property there.
 * @param {object} prototype
 */
function tameOverrides(prototype) {
  const keys = ownKeys(prototype);
  for (let i = 0; i < keys.length; i++) {
    const key = /** @type {Key} */ (keys[i]);
    const descriptor = intrinsicDescriptor(prototype, key);
    if (descriptor === undefined || !hasOwn(descriptor, "value") || !descriptor.configurable) continue;
    const value = descriptor.value;
    // Methods keep their data property on most prototypes (replacing one on an instance is
    // rare, and each accessor costs start-up); every property of Object.prototype and of
    // the error prototypes is tamed (host errors set name and message).
    if (typeof value === "function" && key !== "constructor" && !OVERRIDABLE_METHODS.has(prototype)) continue;
    const tamed = tamedAccessors(key);
    tamed.values.set(prototype, value);
    defineProperty(prototype, key, bare({ get: tamed.getter, set: tamed.setter, enumerable: descriptor.enumerable, configurable: false }));
  }
}

/**
 * The accessor pair of a tamed property name. Shared by every prototype tamed for it (a
 * pair per property would be ~170 closures and their captured variables, each one more
 * object for every collection to walk): the getter finds the tamed prototype it was read
 * through by going up from the receiver (the nearest one holds the property read), and
 * answers its value.
 * @param {Key} key
 * @returns {TamedKey}
 */
function tamedAccessors(key) {
  const known = tamedKeys.get(key);
  if (known !== undefined) return known;
  /** @type {Map<object, unknown>} */
  const values = new SafeMap();
  /** @this {unknown} */
  const getter = function () {
    /** @type {unknown} */
    let current = this;
    for (let depth = 0; current !== null && current !== undefined && depth < 64; depth++) {
      if (values.has(/** @type {object} */ (current))) return values.get(/** @type {object} */ (current));
      current = getPrototypeOf(current);
    }
    return undefined;
  };
  /** @this {object} @param {unknown} next */
  const setter = function (next) {
    if (values.has(this)) throw new TypeError("graft: the kernel's realm is frozen");
    defineProperty(this, key, bare({ value: next, writable: true, enumerable: true, configurable: true }));
  };
  const made = bare({ getter, setter, values });
  tamedKeys.set(key, made);
  return made;
}

/**
 * Defines an own, writable, enumerable data property (a key such as "__proto__" included).
 * @param {object} target
 * @param {Key} key
 * @param {unknown} value
 */
function defineData(target, key, value) {
  defineProperty(target, key, bare({ value, writable: true, enumerable: true, configurable: true }));
}

return { setValueClassReader: setClassReader, copyOut, describeThrown, get, set, lockDownRealm, defineData };
})();
