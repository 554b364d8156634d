/**
 * Previews of VM values for the host (what util.inspect shows of a ScriptValue) and the
 * text of a thrown value, read without ever calling script code: getters show as
 * [Getter], class names come from graft's own records or own data properties.
 */
"use strict";

/**
 * @param {KernelState} state
 * @param {ReturnType<typeof kernelGrafting>} grafting
 */
const kernelPreviews = (state, grafting) => {
const { classMeta } = state;
const { classToString, SKIP_STATIC, isProxy } = grafting;

const PREVIEW_ENTRIES = 6;
const PREVIEW_STRING = 60;

/** @param {string} text */
function quote(text) {
  const short = text.length > PREVIEW_STRING ? stringSlice(text, 0, PREVIEW_STRING) + "..." : text;
  let quoted = "'";
  for (let i = 0; i < short.length; i++) {
    const code = stringCharCodeAt(short, i);
    quoted += code === 92 ? "\\\\" : code === 39 ? "\\'" : code === 10 ? "\\n" : short[i];
  }
  return quoted + "'";
}

/**
 * [A-Za-z0-9_$], digits only if `digits`.
 * @param {number} code
 * @param {boolean} digits
 */
function isIdentifierCode(code, digits) {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36 || (digits && code >= 48 && code <= 57);
}

/** A key that prints without quotes: /^[A-Za-z_$][\w$]*$/. */
/** @param {string} key */
function isIdentifier(key) {
  if (key.length === 0 || !isIdentifierCode(stringCharCodeAt(key, 0), false)) return false;
  for (let i = 1; i < key.length; i++) if (!isIdentifierCode(stringCharCodeAt(key, i), true)) return false;
  return true;
}

/** Source text that starts with the keyword `class`: /^class\b/. */
/** @param {string} text */
function isClassSource(text) {
  return stringSlice(text, 0, 5) === "class" && !(text.length > 5 && isIdentifierCode(stringCharCodeAt(text, 5), true));
}

/** The class an object was built by (its prototype's own constructor), as "Name" or null. */
/** @param {object} value */
function instanceClassName(value) {
  if (isProxy(value)) return "Proxy";
  const proto = getPrototypeOf(value);
  if (proto === null) return "[Object: null prototype]";
  const descriptor = ownDescriptor(proto, "constructor");
  const ctor = descriptor && typeof descriptor.value === "function" ? descriptor.value : null;
  if (ctor === null) return null;
  const meta = classMeta.get(ctor);
  if (meta) return meta.name;
  const name = dataName(ctor);
  return name !== "" ? name : null;
}

/**
 * A function's own `name` when it is a data property (a getter a script put there is not run).
 * @param {Function} fn
 */
function dataName(fn) {
  const descriptor = ownDescriptor(fn, "name");
  return descriptor !== undefined && typeof descriptor.value === "string" ? descriptor.value : "";
}

/** One value inside a preview, never calling script code (getters show as [Getter]). */
/** @param {unknown} value */
function previewItem(value) {
  switch (typeof value) {
    case "string": return quote(value);
    case "bigint": return String(value) + "n";
    case "symbol": return symbolToString(value);
    case "function": {
      if (isProxy(value)) return "[Proxy]";
      const meta = classMeta.get(value);
      if (meta) return "[class " + meta.name + "]";
      const name = dataName(value) || "(anonymous)";
      return (isClassSource(functionToString(value)) ? "[class " : "[Function ") + name + "]";
    }
    case "object":
      if (value === null) return "null";
      if (isProxy(value)) return "Proxy {...}";
      if (isArray(value)) return "Array(" + value.length + ")";
      return (instanceClassName(value) ?? "Object") + " {...}";
    default:
      return sameValue(value, -0) ? "-0" : String(value);
  }
}

/**
 * What util.inspect shows of a VM value: JSON of { kind, className, owner, items, more }.
 * owner is [file, name, version, retired] for an instance of (or a) graft class.
 */
/** @param {any} value */
function preview(value) {
  /** @type {{ kind: string, className: string | null, owner: unknown[] | null, items: string[], more: number }} */
  const result = bare({ kind: typeof value, className: null, owner: null, items: new SafeArray(), more: 0 });
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    result.items.push(previewItem(value));
    return stringify(result);
  }
  // Looking into a Proxy (its keys, prototype, members) would run its traps: script code.
  if (isProxy(value)) {
    result.kind = "proxy";
    return stringify(result);
  }
  let keys;
  let skip = new SafeSet();
  if (typeof value === "function") {
    const meta = classMeta.get(value);
    if (meta) {
      result.kind = "class";
      result.owner = list(meta.file, meta.name, meta.version, meta.retired);
    } else {
      result.items.push(previewItem(value));
      return stringify(result);
    }
    keys = ownKeys(value).filter((key) => typeof key === "string").filter((key) => !(key === "toString" && ownDescriptor(value, key)?.value === classToString));
    skip = SKIP_STATIC;
  } else if (isArray(value)) {
    result.kind = "array";
    result.className = "Array(" + value.length + ")";
    skip = new SafeSet(list("length"));
    keys = objectKeys(value);
  } else {
    const name = instanceClassName(value);
    result.className = name;
    const proto = getPrototypeOf(value);
    const ctor = proto === null ? undefined : ownDescriptor(proto, "constructor");
    const meta = ctor && typeof ctor.value === "function" ? classMeta.get(ctor.value) : undefined;
    if (meta) result.owner = list(meta.file, meta.name, meta.version, meta.retired);
    keys = objectKeys(value);
  }
  keys = keys.filter((key) => !skip.has(key));
  for (const key of keys.slice(0, PREVIEW_ENTRIES)) {
    const descriptor = ownDescriptor(value, key);
    if (descriptor === undefined) continue;
    const text = "value" in descriptor ? previewItem(descriptor.value) : descriptor.get && descriptor.set ? "[Getter/Setter]" : descriptor.get ? "[Getter]" : "[Setter]";
    const label = result.kind === "array" ? "" : (isIdentifier(key) ? key : quote(key)) + ": ";
    result.items.push(label + text);
  }
  result.more = max(0, keys.length - PREVIEW_ENTRIES);
  return stringify(result);
}

/**
 * What a thrown value says, read without running script code (own data `message`).
 * @param {unknown} thrown
 */
function thrownText(thrown) {
  if (thrown === null || (typeof thrown !== "object" && typeof thrown !== "function")) return String(thrown);
  const descriptor = ownDescriptor(thrown, "message");
  const message = descriptor !== undefined && typeof descriptor.value === "string" ? descriptor.value : "";
  return (instanceClassName(thrown) ?? "Error") + (message === "" ? "" : ": " + message);
}

return bare({ preview, thrownText });
};
