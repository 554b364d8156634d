/**
 * The in-VM half of graft's script console and of the DevTools inspector, evaluated in the
 * kernel's context after intrinsics.js (runtime/inspect/value-inspector.ts drives it).
 *
 * - Each script context's global `console` is an accessor shared by every context (no
 *   per-context bytecode or closures until a file first reads it): the getter makes that
 *   file's console object, the setter lets a script replace it. Console methods call the
 *   host hook `console(type, file, args, stack, extra)` with the VM stack at the call.
 * - `describe` and `properties` read values as DevTools' remote objects and property lists
 *   want them, as JSON, without running script code: descriptors are read, never getters
 *   (a Proxy's traps are the exception: they run, under the time budget of the call).
 *
 * Like the kernel, it calls only intrinsics captured before any script ran.
 */
(/**
 * @param {{ console(type: string, file: number, args: unknown[], stack: string, extra: string): void, classOf(value: unknown): string }} hooks
 */
function (hooks) {
"use strict";
const emit = hooks.console;
const classOf = hooks.classOf;
const IntrinsicError = Error;
const dateNow = Date.now;
const stringOf = String;
const mapSize = uncurryThis(/** @type {() => number} */ (intrinsicDescriptor(Map.prototype, "size")?.get));
const setSize = uncurryThis(/** @type {() => number} */ (intrinsicDescriptor(Set.prototype, "size")?.get));
const regexpSource = uncurryThis(/** @type {() => string} */ (intrinsicDescriptor(RegExp.prototype, "source")?.get));
const dateToISOString = uncurryThis(Date.prototype.toISOString);
const errorStack = (/** @type {unknown} */ value) => {
  const descriptor = ownDescriptor(/** @type {object} */ (value), "stack");
  return descriptor && typeof descriptor.value === "string" ? descriptor.value : "";
};
const PREVIEW_PROPERTIES = 5;
const MAX_PROPERTIES = 10000;
const MAX_DESCRIPTION = 10000;

/** @type {WeakMap<object, number>} a script context's global object -> its file number */
const fileOfGlobal = new SafeWeakMap();

/** @param {number} file */
function makeConsole(file) {
  /** @type {Map<string, number>} */
  const counts = new SafeMap();
  /** @type {Map<string, number>} */
  const timers = new SafeMap();
  const stackHere = () => stringOf(new IntrinsicError("console").stack);
  /** @param {string} type */
  const send = (type) => /** @param {unknown[]} args */ (...args) => void emit(type, file, args, stackHere(), "");
  /** @param {unknown} label */
  const labelOf = (label) => (label === undefined ? "default" : stringOf(label));
  const console = {
    log: send("log"),
    info: send("info"),
    warn: send("warning"),
    error: send("error"),
    debug: send("debug"),
    dir: send("dir"),
    trace: send("trace"),
    group: send("startGroup"),
    groupCollapsed: send("startGroupCollapsed"),
    groupEnd: send("endGroup"),
    clear: send("clear"),
    /** @param {unknown} condition @param {unknown[]} args */
    assert(condition, ...args) {
      if (!condition) emit("assert", file, args, stackHere(), "");
    },
    /** @param {unknown} data @param {unknown} columns */
    table(data, columns) {
      emit("table", file, list(data), stackHere(), tableText(data, columns));
    },
    /** @param {unknown} label */
    count(label) {
      const key = labelOf(label);
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      emit("count", file, list(key + ": " + count), stackHere(), "");
    },
    /** @param {unknown} label */
    countReset(label) {
      counts.delete(labelOf(label));
    },
    /** @param {unknown} label */
    time(label) {
      timers.set(labelOf(label), dateNow());
    },
    /** @param {unknown} label @param {unknown[]} args */
    timeLog(label, ...args) {
      elapsed("log", labelOf(label), args, false);
    },
    /** @param {unknown} label */
    timeEnd(label) {
      elapsed("timeEnd", labelOf(label), list(), true);
    },
  };
  /** @param {string} type @param {string} key @param {unknown[]} args @param {boolean} end */
  function elapsed(type, key, args, end) {
    const started = timers.get(key);
    if (started === undefined) {
      emit("warning", file, list("Timer '" + key + "' does not exist"), stackHere(), "");
      return;
    }
    if (end) timers.delete(key);
    const text = key + ": " + (dateNow() - started) + " ms";
    emit(type, file, args.length === 0 ? list(text) : list(text, ...args), stackHere(), "");
  }
  return console;
}

/** The shared getter of every script context's `console`: made on first read, then a data property. */
/** @this {object} */
const consoleGetter = function () {
  const file = fileOfGlobal.get(this);
  if (file === undefined) return undefined;
  const made = makeConsole(file);
  reflectDefineProperty(this, "console", { value: made, writable: true, enumerable: false, configurable: true });
  return made;
};

/** @this {object} @param {unknown} value */
const consoleSetter = function (value) {
  reflectDefineProperty(this, "console", { value, writable: true, enumerable: false, configurable: true });
};
freeze(consoleGetter);
freeze(consoleSetter);

/**
 * Gives a script context (by its global object) a `console`, bound to file number `file`.
 * @param {object} global
 * @param {number} file
 */
function installConsole(global, file) {
  fileOfGlobal.set(global, file);
  reflectDefineProperty(global, "console", { get: consoleGetter, set: consoleSetter, enumerable: false, configurable: true });
}

/**
 * console.table's grid as JSON { header, rows } of preview texts, for hosts that print it.
 * @param {unknown} data
 * @param {unknown} columns
 */
function tableText(data, columns) {
  if (data === null || typeof data !== "object") return "";
  /** @type {string[]} */
  const header = new SafeArray();
  if (isArray(columns)) for (const column of safeArrayOf(columns)) header.push(stringOf(column));
  const fixed = header.length > 0;
  /** @type {{ key: string, row: unknown }[]} */
  const found = new SafeArray();
  let primitives = false;
  for (const key of objectKeys(data).slice(0, 100)) {
    const descriptor = ownDescriptor(data, key);
    const row = descriptor && "value" in descriptor ? descriptor.value : undefined;
    found.push(bare({ key, row }));
    if (row !== null && typeof row === "object") {
      if (!fixed) for (const column of objectKeys(row).slice(0, 20)) if (!header.includes(column)) header.push(column);
    } else primitives = true;
  }
  const rows = found.map(({ key, row }) => {
    /** @type {string[]} */
    const cells = new SafeArray();
    cells.push(key);
    const isObject = row !== null && typeof row === "object";
    for (const column of header) {
      const cell = isObject ? ownDescriptor(/** @type {object} */ (row), column) : undefined;
      cells.push(cell === undefined ? "" : "value" in cell ? previewText(cell.value) : "[Getter]");
    }
    if (primitives) cells.push(isObject ? "" : previewText(row));
    return cells;
  });
  return stringify({ header: list("(index)", ...header, ...(primitives ? list("Values") : list())), rows });
}

/** @param {unknown} value */
function previewText(value) {
  const described = describeValue(value, false);
  if (described.type === "string") return "'" + described.value + "'";
  return /** @type {string} */ (described.description ?? stringOf(described.value));
}

/**
 * The constructor name of an object's class, read from its prototype's own `constructor`.
 * @param {object} value
 */
function constructorName(value) {
  const proto = getPrototypeOf(value);
  if (proto === null) return "Object";
  const ctor = ownDescriptor(proto, "constructor");
  const fn = ctor && typeof ctor.value === "function" ? ctor.value : null;
  if (fn === null) return "Object";
  const name = ownDescriptor(fn, "name");
  return name && typeof name.value === "string" && name.value !== "" ? name.value : "Object";
}

/** @param {string} text */
function clip(text) {
  return text.length > MAX_DESCRIPTION ? stringSlice(text, 0, MAX_DESCRIPTION) + "…" : text;
}

/**
 * A remote object as CDP's Runtime.RemoteObject has it (without objectId, which the host
 * assigns), and `preview` when asked.
 * @param {unknown} value
 * @param {boolean} withPreview
 * @returns {{ type: string, subtype?: string, className?: string, value?: unknown, unserializableValue?: string, description?: string, preview?: unknown }}
 */
function describeValue(value, withPreview) {
  switch (typeof value) {
    case "undefined": return bare({ type: "undefined" });
    case "boolean": return bare({ type: "boolean", value });
    case "string": return bare({ type: "string", value: clip(value) });
    case "number": {
      if (value !== value || value === Infinity || value === -Infinity || sameValue(value, -0)) {
        const text = sameValue(value, -0) ? "-0" : stringOf(value);
        return bare({ type: "number", unserializableValue: text, description: text });
      }
      return bare({ type: "number", value, description: stringOf(value) });
    }
    case "bigint": return bare({ type: "bigint", unserializableValue: stringOf(value) + "n", description: stringOf(value) + "n" });
    case "symbol": return bare({ type: "symbol", description: symbolToString(value) });
    case "function": {
      const name = ownDescriptor(value, "name");
      const source = clip(functionToString(value));
      return bare({ type: "function", className: "Function", description: source, ...(withPreview ? { preview: objectPreview(value, "function", undefined, name && typeof name.value === "string" ? name.value : "") } : {}) });
    }
    default: {
      if (value === null) return bare({ type: "object", subtype: "null", value: null });
      const object = /** @type {object} */ (value);
      const internal = classOf(object);
      let className = internal === "Proxy" ? "Object" : constructorName(object);
      let subtype;
      let description = className;
      switch (internal) {
        case "Array":
          subtype = "array";
          description = className + "(" + /** @type {unknown[]} */ (object).length + ")";
          break;
        case "Error":
          subtype = "error";
          description = errorStack(object) || className;
          {
            const message = ownDescriptor(object, "message");
            const text = className + (message && typeof message.value === "string" && message.value !== "" ? ": " + message.value : "");
            const stack = errorStack(object);
            description = stack.startsWith(text) ? stack : text + (stack ? "\n" + stack : "");
          }
          break;
        case "RegExp":
          subtype = "regexp";
          description = "/" + regexpSource(object) + "/";
          break;
        case "Date":
          subtype = "date";
          try {
            description = dateToISOString(object);
          } catch {
            description = "Invalid Date";
          }
          break;
        case "Map":
          subtype = "map";
          description = className + "(" + mapSize(object) + ")";
          break;
        case "Set":
          subtype = "set";
          description = className + "(" + setSize(object) + ")";
          break;
        case "WeakMap": subtype = "weakmap"; break;
        case "WeakSet": subtype = "weakset"; break;
        case "WeakRef": subtype = "weakref"; break;
        case "Promise": subtype = "promise"; break;
        case "Proxy": subtype = "proxy"; description = "Proxy"; className = "Object"; break;
        case "ArrayBuffer": subtype = "arraybuffer"; break;
        case "DataView": subtype = "dataview"; break;
        case "Generator": subtype = "generator"; break;
        default:
          if (stringSlice(internal, -5) === "Array" && internal !== "Array") subtype = "typedarray";
      }
      /** @type {ReturnType<typeof describeValue>} */
      const result = bare({ type: "object", className, description });
      if (subtype !== undefined) result.subtype = subtype;
      if (withPreview && subtype !== "proxy") result.preview = objectPreview(object, "object", subtype, description);
      return result;
    }
  }
}

/**
 * CDP's ObjectPreview: the first few own enumerable properties, getters shown as accessors.
 * @param {object} object
 * @param {string} type
 * @param {string | undefined} subtype
 * @param {string} description
 */
function objectPreview(object, type, subtype, description) {
  const keys = type === "function" ? list() : objectKeys(object);
  const skipLength = subtype === "array" || subtype === "typedarray";
  /** @type {unknown[]} */
  const properties = new SafeArray();
  let shown = 0;
  for (const key of keys) {
    if (skipLength && key === "length") continue;
    if (shown === PREVIEW_PROPERTIES) break;
    shown++;
    const descriptor = ownDescriptor(object, key);
    if (descriptor === undefined) continue;
    if (!("value" in descriptor)) {
      properties.push(bare({ name: key, type: "accessor" }));
      continue;
    }
    const item = describeValue(descriptor.value, false);
    const entry = bare({ name: key, type: item.type, value: item.type === "string" ? stringSlice(/** @type {string} */ (item.value), 0, 100) : item.description ?? (item.unserializableValue ?? stringOf(item.value)) });
    if (item.subtype !== undefined) /** @type {any} */ (entry).subtype = item.subtype;
    properties.push(entry);
  }
  const preview = bare({ type, description, overflow: keys.length > shown, properties });
  if (subtype !== undefined) /** @type {any} */ (preview).subtype = subtype;
  return preview;
}

/**
 * One value as a remote object, JSON.
 * @param {unknown} value
 * @param {boolean} withPreview
 */
function describe(value, withPreview) {
  return stringify(describeValue(value, withPreview));
}

/**
 * Runtime.getProperties of `object`: [JSON of { result, internal }, values], each property's
 * values as indexes into `values` (the host registers the objects among them).
 * @param {unknown} target
 * @param {boolean} ownOnly
 * @param {boolean} accessorsOnly
 * @param {boolean} withPreview
 */
function properties(target, ownOnly, accessorsOnly, withPreview) {
  /** @type {unknown[]} */
  const values = new SafeArray();
  /** @type {unknown[]} */
  const result = new SafeArray();
  /** @type {unknown[]} */
  const internal = new SafeArray();
  if (target === null || (typeof target !== "object" && typeof target !== "function")) return list(stringify({ result, internal }), values);
  /** @param {unknown} value */
  const slot = (value) => {
    const described = describeValue(value, withPreview);
    values.push(value);
    /** @type {any} */ (described).index = values.length - 1;
    return described;
  };
  /** @type {Set<unknown>} */
  const seen = new SafeSet();
  let owner = /** @type {object | null} */ (target);
  let own = true;
  let count = 0;
  while (owner !== null && count < MAX_PROPERTIES) {
    for (const key of ownKeys(owner)) {
      if (count >= MAX_PROPERTIES) break;
      if (seen.has(key)) continue;
      seen.add(key);
      const descriptor = ownDescriptor(owner, key);
      if (descriptor === undefined) continue;
      const accessor = !("value" in descriptor);
      if (accessorsOnly && !accessor) continue;
      if (!own && !accessor && !accessorsOnly) continue;
      count++;
      const name = typeof key === "symbol" ? symbolToString(key) : key;
      /** @type {any} */
      const entry = bare({ name, configurable: descriptor.configurable === true, enumerable: descriptor.enumerable === true, isOwn: own });
      if (typeof key === "symbol") entry.symbol = slot(key);
      if (accessor) {
        if (descriptor.get !== undefined) entry.get = slot(descriptor.get);
        if (descriptor.set !== undefined) entry.set = slot(descriptor.set);
      } else {
        entry.writable = descriptor.writable === true;
        entry.value = slot(descriptor.value);
      }
      result.push(entry);
    }
    if (ownOnly) break;
    owner = getPrototypeOf(owner);
    own = false;
  }
  const proto = getPrototypeOf(/** @type {object} */ (target));
  if (!accessorsOnly) internal.push(bare({ name: "[[Prototype]]", value: slot(proto) }));
  return list(stringify({ result, internal }), values);
}

/**
 * fn.apply(thisArg, args), for Runtime.callFunctionOn.
 * @param {Function} fn
 * @param {unknown} thisArg
 * @param {unknown[]} args
 */
function call(fn, thisArg, args) {
  return apply(fn, thisArg, args);
}

return { installConsole, describe, properties, call };
});
