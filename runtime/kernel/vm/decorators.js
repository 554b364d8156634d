/**
 * TC39 decorators (the 2023 proposal, with the semantics TypeScript 5 implements), applied
 * for the code runtime/compile/decorators.ts lowers them to. A decorated class gets one
 * Decoration per evaluation of its definition: made before the class, with the decorator
 * expressions already evaluated (the class's own, and each member's in document order); the
 * class body then calls it at the points the proposal fixes:
 *
 * - `start(class, name, privateAccess)` first in the body: member decorators applied (static
 *   methods and accessors, then instance ones, then static fields, then instance fields; each
 *   member's decorators last to first), then the class decorators; the metadata object is
 *   defined on the resulting class, which `start` returns (it may be a replacement);
 * - `statics(receiver)` before the first static field or block: static method extra initializers;
 * - `instance(object)` first among instance fields: instance method extra initializers;
 * - `init(object, index, value)` as a decorated field's (or accessor's) initialiser, and
 *   `extra(object, index)` right after it: its initializers and extra initializers;
 * - `end(receiver)` last in the body: the class extra initializers;
 * - `finish(class)` around the class expression: the class the definition gives.
 *
 * Everything the kernel makes here (contexts, access objects, metadata) has a null
 * prototype: nothing of the kernel's realm is reached through it. Evaluated after
 * privates.js, before the kernel-*.js files.
 */
"use strict";

/**
 * The symbol scripts read as `Symbol.metadata`: the registry's, so every context of the
 * runtime has the same one (this QuickJS build has none of its own).
 */
const DECORATOR_METADATA = Symbol.for("Symbol.metadata");
const { String: DecoratorString, TypeError: DecoratorTypeError } = globalThis;

/**
 * @typedef {"method" | "getter" | "setter" | "field" | "accessor"} MemberKind
 * @typedef {{ has?: (o: unknown) => boolean, get?: (o: unknown) => unknown, set?: (o: unknown, value: unknown) => void, value?: Function }} MemberAccess
 * @typedef {{ kind: MemberKind, name: string | symbol, isStatic: boolean, isPrivate: boolean, decorators: unknown[],
 *   initializers: Function[], extras: Function[], privateFunction: Function | null }} DecoratedMember
 */

/**
 * Gives a script context `Symbol.metadata` (once) and returns the function its compiled
 * code makes a Decoration with.
 * @param {unknown} symbolConstructor the context's `Symbol`
 */
function decoratorsFor(symbolConstructor) {
  if (typeof symbolConstructor === "function" && !hasOwn(symbolConstructor, "metadata")) {
    try {
      defineProperty(symbolConstructor, "metadata", bare({ value: DECORATOR_METADATA }));
    } catch {
      // A frozen Symbol: decorators still get their metadata object.
    }
  }
  return newDecoration;
}

/**
 * @param {unknown} value
 * @param {string} what
 * @returns {Function | undefined}
 */
function acceptFunction(value, what) {
  if (value !== undefined && typeof value !== "function") throw new DecoratorTypeError(what + " must be a function or undefined, not " + (value === null ? "null" : typeof value));
  return /** @type {Function | undefined} */ (value);
}

/** @param {string | symbol} name */
function memberLabel(name) {
  return typeof name === "symbol" ? "[" + (symbolDescription(name) ?? "") + "]" : name;
}

/**
 * A Decoration for one evaluation of a class definition.
 * @param {unknown[]} classDecorators
 * @param {Array<[MemberKind, string | symbol | null, number, unknown[]]>} specs each decorated
 *   member (and each `accessor`): kind, name (null for a computed key, given by `key`), flags
 *   (1 static, 2 private), its decorators
 */
function newDecoration(classDecorators, specs) {
  /** @type {DecoratedMember[]} */
  const members = new SafeArray();
  for (let i = 0; i < specs.length; i++) {
    // By index: destructuring would run the script realm's array iterator.
    const spec = /** @type {[MemberKind, string | symbol | null, number, unknown[]]} */ (specs[i]);
    const kind = spec[0], name = spec[1], flags = spec[2], decorators = spec[3];
    members.push(bare({
      kind, name: name ?? "", isStatic: (flags & 1) !== 0, isPrivate: (flags & 2) !== 0,
      decorators: safeArrayOf(decorators), initializers: new SafeArray(), extras: new SafeArray(), privateFunction: null,
    }));
  }
  const decoratorsOfClass = safeArrayOf(classDecorators);
  /** @type {Function[]} */
  const staticExtras = new SafeArray();
  /** @type {Function[]} */
  const instanceExtras = new SafeArray();
  /** @type {Function[]} */
  const classExtras = new SafeArray();
  /** @type {Function | null} */
  let result = null;

  /**
   * @param {unknown} receiver
   * @param {Function[]} initializers
   */
  const runAll = (receiver, initializers) => {
    for (let i = 0; i < initializers.length; i++) apply(/** @type {Function} */ (initializers[i]), receiver, []);
  };

  /**
   * @param {Function[]} target
   * @param {() => boolean} isDone
   */
  const adder = (target, isDone) =>
    /** @param {unknown} initializer */
    (initializer) => {
      if (isDone()) throw new DecoratorTypeError("Cannot add initializers after decoration has completed");
      target.push(/** @type {Function} */ (acceptFunction(initializer, "addInitializer's argument")));
    };

  /**
   * @param {Function} cls
   * @param {DecoratedMember} member
   * @param {MemberAccess | undefined} privateAccess
   * @param {object} metadata
   */
  const decorateMember = (cls, member, privateAccess, metadata) => {
    const { kind, name, isStatic, isPrivate } = member;
    const isField = kind === "field";
    const key = kind === "getter" ? "get" : kind === "setter" ? "set" : "value";
    // A private method, getter or setter: its function comes with its access, and the decorated one is kept here.
    const privateFunction = isPrivate && (kind === "method" || kind === "getter" || kind === "setter");
    /** @type {any} */
    const target = isField || isPrivate ? null : isStatic ? cls : cls.prototype;
    /** @type {any} */
    const descriptor = target === null ? bare({}) : ownDescriptor(target, name) ?? bare({});
    /** @type {MemberAccess} */
    const access = create(null);
    if (isPrivate) {
      if (privateAccess === undefined) throw new DecoratorTypeError("graft: no access to the private member " + memberLabel(name));
      if (privateAccess.has !== undefined) access.has = privateAccess.has;
      if (privateAccess.get !== undefined) access.get = privateAccess.get;
      if (privateAccess.set !== undefined) access.set = privateAccess.set;
      if (privateFunction) {
        const fn = /** @type {Function} */ (privateAccess.value);
        defineProperty(fn, "name", bare({ value: (kind === "method" ? "" : key + " ") + DecoratorString(name), configurable: true }));
        descriptor[key] = fn;
      }
    } else {
      access.has = (/** @type {any} */ o) => name in o;
      if (kind !== "setter") access.get = (/** @type {any} */ o) => o[name];
      if (kind === "field" || kind === "accessor" || kind === "setter") access.set = (/** @type {any} */ o, /** @type {unknown} */ value) => { o[name] = value; };
    }
    const extras = isField || kind === "accessor" ? member.extras : isStatic ? staticExtras : instanceExtras;
    let done = false;
    const addInitializer = adder(extras, () => done);
    for (let i = member.decorators.length - 1; i >= 0; i--) {
      const decorator = member.decorators[i];
      if (typeof decorator !== "function") throw new DecoratorTypeError("a decorator of " + memberLabel(name) + " is not a function (it is " + (decorator === null ? "null" : typeof decorator) + ")");
      /** @type {MemberAccess} */
      const ownAccess = assign(create(null), access);
      const context = bare({ kind, name, static: isStatic, private: isPrivate, access: ownAccess, metadata, addInitializer });
      const value = kind === "accessor" ? bare({ get: descriptor.get, set: descriptor.set }) : isField ? undefined : descriptor[key];
      const replaced = apply(decorator, undefined, [value, context]);
      if (kind === "accessor") {
        if (replaced === undefined) continue;
        if (replaced === null || typeof replaced !== "object") throw new DecoratorTypeError("an accessor decorator of " + memberLabel(name) + " must return an object or undefined");
        const getter = acceptFunction(replaced.get, "the accessor decorator's get");
        const setter = acceptFunction(replaced.set, "the accessor decorator's set");
        const init = acceptFunction(replaced.init, "the accessor decorator's init");
        if (getter !== undefined) descriptor.get = getter;
        if (setter !== undefined) descriptor.set = setter;
        if (init !== undefined) member.initializers.unshift(init);
      } else {
        const fn = acceptFunction(replaced, "what a " + kind + " decorator of " + memberLabel(name) + " returns");
        if (fn === undefined) continue;
        if (isField) member.initializers.unshift(fn);
        else descriptor[key] = fn;
      }
    }
    if (target !== null) defineProperty(target, name, descriptor);
    if (privateFunction) member.privateFunction = descriptor[key];
    done = true;
  };

  /** @param {number} index */
  const privateFunctionOf = (index) => {
    const fn = /** @type {DecoratedMember} */ (members[index]).privateFunction;
    if (fn === null) throw new DecoratorTypeError("graft: a private member is used before its class's decorators were applied");
    return fn;
  };

  return bare({
    /**
     * A computed key of a decorated member, as the class definition evaluates it.
     * @param {number} index
     * @param {unknown} value
     */
    key(index, value) {
      const key = typeof value === "symbol" ? value : DecoratorString(value);
      /** @type {DecoratedMember} */ (members[index]).name = key;
      return key;
    },
    /**
     * @param {Function} cls the class being defined (`this` of its first static block)
     * @param {string | undefined} name the class's name, when the lowering made it anonymous
     * @param {Record<number, MemberAccess> | undefined} privateAccess access to private members, by index
     */
    start(cls, name, privateAccess) {
      if (name !== undefined) {
        const own = ownDescriptor(cls, "name");
        if (own === undefined || own.value === "") defineProperty(cls, "name", bare({ value: name, configurable: true }));
      }
      const parent = getPrototypeOf(cls);
      const inherited = parent === null ? undefined : /** @type {any} */ (parent)[DECORATOR_METADATA];
      const metadata = create(inherited === undefined ? null : inherited);
      /** @param {boolean} fields @param {boolean} isStatic */
      const applyGroup = (fields, isStatic) => {
        for (let i = 0; i < members.length; i++) {
          const member = /** @type {DecoratedMember} */ (members[i]);
          if ((member.kind === "field") !== fields || member.isStatic !== isStatic) continue;
          decorateMember(cls, member, privateAccess === undefined ? undefined : privateAccess[i], metadata);
        }
      };
      applyGroup(false, true);
      applyGroup(false, false);
      applyGroup(true, true);
      applyGroup(true, false);
      /** @type {Function} */
      let current = cls;
      let done = false;
      const addInitializer = adder(classExtras, () => done);
      const className = name ?? cls.name;
      for (let i = decoratorsOfClass.length - 1; i >= 0; i--) {
        const decorator = decoratorsOfClass[i];
        if (typeof decorator !== "function") throw new DecoratorTypeError("a decorator of class " + className + " is not a function (it is " + (decorator === null ? "null" : typeof decorator) + ")");
        const context = bare({ kind: "class", name: className, metadata, addInitializer });
        const replaced = acceptFunction(apply(decorator, undefined, [current, context]), "what a class decorator of " + className + " returns");
        if (replaced !== undefined) current = replaced;
      }
      done = true;
      defineProperty(current, DECORATOR_METADATA, bare({ value: metadata, enumerable: true, configurable: true, writable: true }));
      result = current;
      return current;
    },
    /** A decorated private method (what `#m` reads), getter or setter of a class in a function. */
    private: privateFunctionOf,
    /**
     * @param {number} index
     * @param {unknown} receiver
     * @param {unknown[]} args
     */
    callPrivate(index, receiver, args) {
      return apply(privateFunctionOf(index), receiver, args);
    },
    /** @param {unknown} receiver the class static methods' initializers see (undefined: the decorated class) */
    statics(receiver) {
      runAll(receiver === undefined ? result : receiver, staticExtras);
    },
    /** @param {object} instance */
    instance(instance) {
      runAll(instance, instanceExtras);
      return undefined;
    },
    /**
     * @param {unknown} receiver
     * @param {number} index
     * @param {unknown} value the field's own initial value
     */
    init(receiver, index, value) {
      const initializers = /** @type {DecoratedMember} */ (members[index]).initializers;
      for (let i = 0; i < initializers.length; i++) value = apply(/** @type {Function} */ (initializers[i]), receiver, [value]);
      return value;
    },
    /**
     * @param {unknown} receiver
     * @param {number} index
     */
    extra(receiver, index) {
      runAll(receiver, /** @type {DecoratedMember} */ (members[index]).extras);
      return undefined;
    },
    /** @param {unknown} receiver the class the class decorators' initializers see (undefined: the decorated class) */
    end(receiver) {
      const target = receiver === undefined ? result : receiver;
      runAll(target, classExtras);
      return target;
    },
    /** @param {Function} cls the class definition's value */
    finish(cls) {
      if (result === null) throw new DecoratorTypeError("graft: the decorators of " + cls.name + " were not applied");
      return result;
    },
  });
}
