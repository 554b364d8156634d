import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";
import { projectFiles, projectFolder, tscDiagnostics } from "./projects.js";

/** The export names of a file's namespace, sorted. */
function namesOf(runtime: Awaited<ReturnType<typeof runtimeFor>>, file: string): string[] {
  return Object.keys(runtime.exports(file)).sort();
}

const SPEED_AS_CLASS = (source: string): string =>
  source.replace(/export interface SpeedActor \{\n  getSpeed\(\): number;\n\}/, "export class SpeedActor {\n  getSpeed(): number {\n    return 0;\n  }\n}");

describe("type-only names across files, as tsc sees the program (test/projects/type-only-names)", () => {
  it("a folder tsc accepts loads: re-exported interfaces, `export *` of a types-only file, declared values and namespaces of types are elided", async () => {
    const files = await projectFiles("type-only-names");
    const folder = await projectFolder("type-only-names");
    expect(tscDiagnostics(folder, Object.keys(files))).toEqual([]);
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors.map((error) => error.text)).toEqual([]);
    // What tsc's output exports: the values, none of the types.
    expect(namesOf(runtime, "scheduler/index.ts")).toEqual(["Speed"]);
    expect(namesOf(runtime, "scheduler/types.ts")).toEqual([]);
    expect(namesOf(runtime, "declared.ts")).toEqual(["VERSION"]);
    expect(namesOf(runtime, "shapes.ts")).toEqual(["Circle", "VERSION"]);
    const main = runtime.exports("main.ts");
    expect(main.first!.toHost()).toBe("fast");
    expect(main.circle!.toHost()).toBe(6);
    expect(main.schedulerNames!.toHost()).toEqual(["Speed"]);
    expect(main.shapesNames!.toHost()).toEqual(["Circle", "VERSION"]);
  });

  it("a type used as a value is the error tsc gives, at the same place, naming where the type is declared", async () => {
    const bad = `import { SpeedActor } from "./scheduler/index";\nexport const actor = new SpeedActor();\n`;
    const files = { ...(await projectFiles("type-only-names")), "bad.ts": bad };
    const folder = await projectFolder("type-only-names", { "bad.ts": bad });
    expect(tscDiagnostics(folder, Object.keys(files))).toEqual([
      "bad.ts:2:26: TS2693 'SpeedActor' only refers to a type, but is being used as a value here.",
    ]);
    const runtime = await runtimeFor(folder);
    const errors = runtime.initialReport.errors;
    expect(errors.map((error) => error.file)).toEqual(["bad.ts"]);
    expect(errors[0]!.message).toBe(
      "syntax error: 'SpeedActor' is used as a value here, but 'SpeedActor' of scheduler/index.ts is only a type (interface SpeedActor at scheduler/speed.ts:4:8)",
    );
    expect(errors[0]!.text).toContain("bad.ts:2:26");
    expect(errors[0]!.text).toContain("import type");
    // Everything else loads.
    expect(runtime.exports("main.ts").first!.toHost()).toBe("fast");
  });

  it("a declared value read at run time names the `declare`: nothing defines it", async () => {
    const reads = `import { BUILD } from "./declared";\nexport const build = BUILD;\n`;
    const folder = await projectFolder("type-only-names", { "reads.ts": reads });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors.map((error) => `${error.file}: ${error.message}`)).toEqual([
      "reads.ts: syntax error: 'BUILD' is used as a value here, but 'BUILD' of declared.ts is only a type (`declare` const BUILD at declared.ts:2:8)",
    ]);
  });

  it("`export type * from` (TypeScript 5): every name of that file is a type, re-exported and imported as tsc allows, an error where tsc gives one", async () => {
    const files = {
      "shape-types.ts": `export interface Circle {\n  r: number;\n}\nexport type Id = number;\nexport const UNIT = 1;\n`,
      "all-types.ts": `export type * from "./shape-types";\n`,
      "user.ts": `import { Circle, Id, UNIT } from "./all-types";\nexport { Circle };\nconst id: Id = 2;\nexport const made: Circle = { r: id };\nexport type Unit = typeof UNIT;\n`,
    };
    const folder = await scriptsFolder(files);
    expect(tscDiagnostics(folder, Object.keys(files))).toEqual([]);
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors.map((error) => error.text)).toEqual([]);
    expect(namesOf(runtime, "all-types.ts")).toEqual([]);
    expect(namesOf(runtime, "user.ts")).toEqual(["made"]);

    const bad = `import { UNIT } from "./all-types";\nexport const unit = UNIT;\n`;
    await folder.write("bad.ts", bad);
    expect(tscDiagnostics(folder, [...Object.keys(files), "bad.ts"])).toEqual([
      "bad.ts:2:21: TS1362 'UNIT' cannot be used as a value because it was exported using 'export type'.",
    ]);
    const report = await runtime.reload(["bad.ts"]);
    expect(report.errors.map((error) => `${error.file}: ${error.message}`)).toEqual([
      "bad.ts: syntax error: 'UNIT' is used as a value here, but 'UNIT' of all-types.ts is only a type ('UNIT', exported as a type by `export type * from \"./shape-types\"` at all-types.ts:1:1)",
    ]);
    expect(report.errors[0]!.text).toContain("bad.ts:2:21");
  });

  it("a reload that turns an exported interface into a class (and back) re-links the files that re-export and use it", async () => {
    const uses = `import { SpeedActor } from "./shapes";\nexport const kind = typeof SpeedActor;\n`;
    const folder = await projectFolder("type-only-names", { "uses.ts": uses });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors.map((error) => error.file)).toEqual(["uses.ts"]);
    const interfaceSource = (await projectFiles("type-only-names"))["scheduler/speed.ts"]!;
    const classSource = SPEED_AS_CLASS(interfaceSource);
    expect(classSource).not.toBe(interfaceSource);

    await folder.write("scheduler/speed.ts", classSource);
    const toClass = await runtime.reload(["scheduler/speed.ts"]);
    expect(toClass.errors).toEqual([]);
    expect(namesOf(runtime, "scheduler/speed.ts")).toEqual(["Speed", "SpeedActor"]);
    expect(namesOf(runtime, "scheduler/index.ts")).toEqual(["Speed", "SpeedActor"]);
    expect(namesOf(runtime, "shapes.ts")).toEqual(["Circle", "SpeedActor", "VERSION"]);
    expect(runtime.exports("main.ts").schedulerNames!.toHost()).toEqual(["Speed", "SpeedActor"]);
    expect(runtime.exports("uses.ts").kind!.toHost()).toBe("function");
    expect(runtime.failures()).toEqual([]);

    await folder.write("scheduler/speed.ts", interfaceSource);
    const toType = await runtime.reload(["scheduler/speed.ts"]);
    expect(toType.errors).toEqual([]);
    expect(namesOf(runtime, "scheduler/index.ts")).toEqual(["Speed"]);
    expect(namesOf(runtime, "shapes.ts")).toEqual(["Circle", "VERSION"]);
    expect(runtime.exports("main.ts").schedulerNames!.toHost()).toEqual(["Speed"]);
    // The file that reads it as a value no longer links, as in a fresh load: it says why.
    expect(runtime.failures().map((failure) => `${failure.file}: ${failure.message}`)).toEqual([
      "uses.ts: syntax error: 'SpeedActor' is used as a value here, but 'SpeedActor' of shapes.ts is only a type (interface SpeedActor at scheduler/speed.ts:4:8)",
    ]);
  });
});
