/**
 * Private members (#x) of top-level classes, kept by the kernel across class versions
 * (runtime/compile/private-names.ts lowers the references to the slots made here).
 *
 * A class's PrivateState lives in its ClassMeta for the life of the class: one WeakMap per
 * instance field, one brand for its instance methods and accessors, one cell per static
 * field, and the class versions allowed as static receivers. Every version of the class
 * asks for slots again (the methods are the version's own), so the state outlives
 * versions while the code is always the newest. Nothing here is a property of a script
 * object: no reflection reaches it. Evaluated after intrinsics.js, before the kernel-*.js files.
 */
"use strict";

/**
 * @typedef {{ fields: Map<string, WeakMap<object, unknown>>, brand: WeakMap<object, true>,
 *   statics: Map<string, { defined: boolean, value: unknown }>, versions: WeakMap<object, true> }} PrivateState
 * @typedef {{ [label: string]: Function }} PrivateMethods
 */

/** @returns {PrivateState} */
const newPrivateState = () => bare({ fields: new SafeMap(), brand: new SafeWeakMap(), statics: new SafeMap(), versions: new SafeWeakMap() });

/**
 * The slots one version of a class uses.
 * @param {Function} canonical the class every version patches
 * @param {PrivateState} state
 * @param {(undo: () => void) => void} journal records how to undo a change of the open reload, if any
 */
const privateSlots = (canonical, state, journal) => {
  const { TypeError } = globalThis;
  /** @type {PrivateMethods} */
  let methods = create(null);
  /** @type {PrivateMethods} */
  let staticMethods = create(null);
  /** @param {unknown} value */
  const isObject = (value) => (typeof value === "object" && value !== null) || typeof value === "function";
  /** @param {unknown} value */
  const isClass = (value) => value === canonical || (isObject(value) && state.versions.has(/** @type {object} */ (value)));
  /** @param {object} value */
  const branded = (value) => state.brand.has(value);

  /**
   * @param {string} name
   * @param {(o: object) => boolean} has
   * @param {(o: object) => unknown} read
   * @param {(o: object, value: unknown) => void} write
   */
  const slot = (name, has, read, write) => {
    /** @param {unknown} o @param {"read" | "write"} verb */
    const check = (o, verb) => {
      if (!isObject(o) || !has(/** @type {object} */ (o))) throw new TypeError("Cannot " + verb + " private member " + name + " " + (verb === "read" ? "from" : "to") + " an object whose class did not declare it");
      return /** @type {object} */ (o);
    };
    /** @param {unknown} o */
    const get = (o) => read(check(o, "read"));
    /** @param {unknown} o @param {unknown} value */
    const set = (o, value) => { write(check(o, "write"), value); return value; };
    return bare({
      get,
      set,
      /** @param {unknown} o */
      has(o) {
        if (!isObject(o)) throw new TypeError("Cannot use 'in' operator to search for '" + name + "' in " + (o === null ? "null" : typeof o));
        return has(/** @type {object} */ (o));
      },
      /** @param {unknown} o */
      ref(o) {
        return bare({ get value() { return get(o); }, set value(value) { set(o, value); } });
      },
      /** @param {unknown} o @param {unknown[]} args */
      call(o, ...args) {
        const fn = get(o);
        if (typeof fn !== "function") throw new TypeError("private member " + name + " is not a function");
        return apply(fn, o, args);
      },
    });
  };

  /** @param {string} name */
  const fieldStore = (name) => {
    let store = state.fields.get(name);
    if (store === undefined) {
      store = new SafeWeakMap();
      state.fields.set(name, store);
    }
    return store;
  };

  /**
   * @param {string} name
   * @param {() => PrivateMethods} table
   * @param {(o: object) => boolean} has
   */
  const methodSlot = (name, table, has) => slot(name, has, () => table()[name], () => {
    throw new TypeError("Private method " + name + " is not writable");
  });

  /**
   * @param {string} name
   * @param {() => PrivateMethods} table
   * @param {(o: object) => boolean} has
   */
  const accessorSlot = (name, table, has) => slot(name, has, (o) => {
    const getter = table()["get " + name];
    if (getter === undefined) throw new TypeError("'" + name + "' was defined without a getter");
    return apply(getter, o, []);
  }, (o, value) => {
    const setter = table()["set " + name];
    if (setter === undefined) throw new TypeError("'" + name + "' was defined without a setter");
    apply(setter, o, [value]);
  });

  return bare({
    /**
     * Called first while the version's class is defined: its private methods, and which
     * object is this version (a static receiver). `super` in the methods reaches the class's parent.
     * @param {Function & { prototype: object }} version
     * @param {PrivateMethods} instanceTable
     * @param {PrivateMethods} staticTable
     */
    bind(version, instanceTable, staticTable) {
      state.versions.set(version, true);
      setPrototypeOf(instanceTable, getPrototypeOf(version.prototype));
      setPrototypeOf(staticTable, getPrototypeOf(version));
      methods = instanceTable;
      staticMethods = staticTable;
    },
    /** @param {object} o an instance under construction */
    brand(o) {
      if (state.brand.has(o)) throw new TypeError("Cannot initialize private methods of class " + canonical.name + " twice on the same object");
      state.brand.set(o, true);
      return undefined;
    },
    /** @param {string} name */
    field(name) {
      const store = fieldStore(name);
      const result = slot(name, (o) => store.has(o), (o) => store.get(o), (o, value) => { store.set(o, value); });
      return assign(result, bare({
        /** @param {object} o @param {unknown} value */
        init(o, value) {
          if (store.has(o)) throw new TypeError("Cannot initialize " + name + " twice on the same object");
          store.set(o, value);
          return undefined;
        },
      }));
    },
    /** @param {string} name */
    method(name) {
      return methodSlot(name, () => methods, branded);
    },
    /** @param {string} name */
    accessor(name) {
      return accessorSlot(name, () => methods, branded);
    },
    /** @param {string} name */
    staticField(name) {
      let cell = state.statics.get(name);
      if (cell === undefined) {
        cell = bare({ defined: false, value: undefined });
        state.statics.set(name, cell);
      }
      const own = cell;
      const result = slot(name, (o) => isClass(o) && own.defined, () => own.value, (_o, value) => { own.value = value; });
      return assign(result, bare({
        /**
         * A new version's initialiser: the value it gives replaces the previous version's
         * (as public static data does), and a rolled-back reload puts the old one back.
         * @param {object} _o @param {unknown} value
         */
        init(_o, value) {
          const before = bare({ defined: own.defined, value: own.value });
          journal(() => { own.defined = before.defined; own.value = before.value; });
          own.defined = true;
          own.value = value;
          return undefined;
        },
      }));
    },
    /** @param {string} name */
    staticMethod(name) {
      return methodSlot(name, () => staticMethods, isClass);
    },
    /** @param {string} name */
    staticAccessor(name) {
      return accessorSlot(name, () => staticMethods, isClass);
    },
  });
};
