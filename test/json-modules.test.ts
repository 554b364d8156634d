import { describe, expect, it } from "vitest";
import type { ReloadError, ReloadReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

const ITEMS = `{\n  "sword": { "damage": 7, "text": "A short sword." },\n  "lamp": { "damage": 0, "text": "A brass lamp." }\n}\n`;
const TABLE = `import items from "./items.json" with { type: "json" };
export class Item {
  constructor(name) { this.name = name; this.damage = items[name].damage; }
  describe() { return items[this.name].text; }
}
export const names = Object.keys(items);
`;

describe("JSON modules (import ... with { type: \"json\" })", () => {
  it("give the parsed value as the default export, and nothing else", async () => {
    const folder = await scriptsFolder({
      "items.json": ITEMS,
      "list.json": `[1, "two", null, {"__proto__": 3}]`,
      "table.js": TABLE,
      "other.js": `import list from "./list.json" with { type: "json" }; import * as ns from "./list.json" with { type: "json" };
        export const keys = Object.keys(ns); export const same = ns.default === list; export const proto = Object.getPrototypeOf(Object.getPrototypeOf(list[3])) === null && Object.hasOwn(list[3], "__proto__");
        export const value = list;`,
      "tsconfig.json": `{ // not JSON, and not imported: never loaded\n "compilerOptions": {} }`,
    });
    const errors: ReloadError[] = [];
    const runtime = await runtimeFor(folder, { onError: (error) => errors.push(error) });
    expect(errors).toEqual([]);
    expect(runtime.exports("table.js").names!.toHost()).toEqual(["sword", "lamp"]);
    expect(runtime.getClass("table.js", "Item").new("sword").call("describe").toHost()).toBe("A short sword.");
    const other = runtime.exports("other.js");
    expect(other.keys!.toHost()).toEqual(["default"]);
    expect(other.same!.toHost()).toBe(true);
    expect(other.proto!.toHost()).toBe(true);
    expect(other.value!.toHost()).toEqual([1, "two", null, { ["__proto__"]: 3 }]);
    // Imported JSON files run (and are listed); one nobody imports is not loaded at all.
    expect(runtime.files()).toEqual(["items.json", "list.json", "other.js", "table.js"]);
    expect(runtime.failures()).toEqual([]);
  });

  it("the type attribute is required, and only fits .json files: a link error of the importer otherwise", async () => {
    const folder = await scriptsFolder({
      "data.json": `{"a": 1}`,
      "code.js": `export default 1;`,
      "untyped.js": `import data from "./data.json";\nexport { data };`,
      "wrong.js": `import code from "./code.js" with { type: "json" };\nexport { code };`,
      "css.js": `import data from "./data.json" with { type: "css" };\nexport { data };`,
      "key.js": `import data from "./data.json" with { kind: "json" };\nexport { data };`,
      "named.js": `import { a } from "./data.json" with { type: "json" };\nexport { a };`,
    });
    const errors: ReloadError[] = [];
    const runtime = await runtimeFor(folder, { onError: (error) => errors.push(error) });
    const byFile = new Map(errors.map((error) => [error.file, error]));
    expect(byFile.get("untyped.js")!.text).toMatch(/^untyped\.js:1:1: syntax error: '\.\/data\.json' is a JSON module: import it with \{ type: "json" \}/);
    expect(byFile.get("untyped.js")!.text).toContain(`import data from "./data.json" with { type: "json" }`);
    expect(byFile.get("wrong.js")!.message).toBe(`syntax error: './code.js' is imported with { type: "json" }, but code.js is not a .json file`);
    expect(byFile.get("css.js")!.message).toBe(`syntax error: unsupported import type "css" for './data.json'`);
    expect(byFile.get("key.js")!.text).toMatch(/^key\.js:1:\d+: syntax error: unsupported import attribute 'kind'/);
    expect(byFile.get("named.js")!.message).toMatch(/^syntax error: .*'a'/);
    expect(runtime.files()).toEqual(["code.js", "data.json"]);
  });

  it("a save of the JSON re-runs its importers in one transaction; instances keep what they hold", async () => {
    const folder = await scriptsFolder({ "items.json": ITEMS, "table.js": TABLE, "shop.js": `import { names } from "./table.js"; export const stock = names.length;` });
    const runtime = await runtimeFor(folder, { watch: true });
    const reports: ReloadReport[] = [];
    runtime.on("reload", (report) => reports.push(report));
    const Item = runtime.getClass("table.js", "Item");
    const sword = Item.new("sword");

    await folder.write("items.json", ITEMS.replace("A short sword.", "A notched short sword.").replace(`"damage": 7`, `"damage": 9`).replace("\n}", `,\n  "rope": { "damage": 0, "text": "Rope." }\n}`));
    await waitFor(() => reports.some((report) => report.files.includes("items.json")), 5000, "the JSON save to reload");
    const report = reports.find((entry) => entry.files.includes("items.json"))!;
    expect(report.ok).toBe(true);
    expect(report.files.sort()).toEqual(["items.json", "shop.js", "table.js"]);
    expect(report.rerun.sort()).toEqual(["shop.js", "table.js"]);
    // Same class, new data for what reads it; state made from the old data is kept.
    expect(runtime.getClass("table.js", "Item").isSame(Item)).toBe(true);
    expect(sword.call("describe").toHost()).toBe("A notched short sword.");
    expect(sword.get("damage").toHost()).toBe(7);
    expect(Item.new("sword").get("damage").toHost()).toBe(9);
    expect(runtime.exports("shop.js").stock!.toHost()).toBe(3);
  });

  it("a broken JSON save is reported with file:line:col and a code frame, and the previous data keeps running", async () => {
    const folder = await scriptsFolder({ "items.json": ITEMS, "table.js": TABLE });
    const errors: ReloadError[] = [];
    const runtime = await runtimeFor(folder, { watch: true, errorDelay: 0, onError: (error) => errors.push(error) });
    const broken = ITEMS.replace(`"damage": 0,`, `"damage": 0,,`);
    await folder.write("items.json", broken);
    await waitFor(() => errors.length > 0, 5000, "the broken save to be reported");
    const [error] = errors;
    expect(error!.file).toBe("items.json");
    expect(error!.position).toEqual({ file: "items.json", line: 3, column: 25 });
    expect(error!.text).toMatch(/^items\.json:3:25: syntax error: expected a double-quoted property name, found character ","/);
    expect(error!.frame).toContain(`> 3 |   "lamp": { "damage": 0,, "text": "A brass lamp." }`);
    expect(error!.text).toContain("the previous version keeps running");
    expect(runtime.getClass("table.js", "Item").new("lamp").call("describe").toHost()).toBe("A brass lamp.");
    expect(runtime.failures().map((failure) => [failure.file, failure.running])).toEqual([["items.json", true]]);

    // Fixed: applied, its importers re-run.
    await folder.write("items.json", ITEMS.replace("A brass lamp.", "A lit brass lamp."));
    await waitFor(() => runtime.failures().length === 0, 5000, "the fix to apply");
    expect(runtime.getClass("table.js", "Item").new("lamp").call("describe").toHost()).toBe("A lit brass lamp.");
  });

  it("a JSON file broken at start-up: its importer waits, and both load once it is fixed", async () => {
    const folder = await scriptsFolder({ "items.json": `{"sword": }`, "table.js": TABLE });
    const errors: ReloadError[] = [];
    const runtime = await runtimeFor(folder, { onError: (error) => errors.push(error) });
    expect(errors.map((error) => error.text.split("\n")[0])).toEqual([
      "items.json:1:11: syntax error: unexpected character \"}\" (JSON)",
      "table.js: not loaded: it imports items.json, which failed to load.",
    ]);
    await folder.write("items.json", ITEMS);
    const report = await runtime.reload(["items.json"]);
    expect(report.ok).toBe(true);
    expect(runtime.files()).toEqual(["items.json", "table.js"]);
    expect(runtime.exports("table.js").names!.toHost()).toEqual(["sword", "lamp"]);
  });
});
