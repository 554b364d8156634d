import { describe, expect, it } from "vitest";
import type { ReloadError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

describe("startup errors reach the host", () => {
  it("onError gets the errors of the initial load, and of later reloads, before on('error') listeners", async () => {
    const folder = await scriptsFolder({
      "good.ts": `export class Fine {}\n`,
      "broken.ts": `export class Broken {\n  run() { return 1 +; }\n}\n`,
    });
    const seen: string[] = [];
    const runtime = await runtimeFor(folder, { onError: (error: ReloadError) => seen.push(`onError ${error.file}`) });
    expect(seen).toEqual(["onError broken.ts"]);
    runtime.on("error", (error) => seen.push(`listener ${error.file}`));
    await folder.write("good.ts", `export class Fine { x = ; }\n`);
    await runtime.reload(["good.ts"]);
    expect(seen).toEqual(["onError broken.ts", "onError good.ts", "listener good.ts"]);
  });

  it("says that a file failing at start-up is not loaded, not that a previous version keeps running", async () => {
    const folder = await scriptsFolder({ "broken.ts": `export class Broken {\n  run() { return 1 +; }\n}\n`, "throws.ts": `throw new Error("boom");\n` });
    const errors: ReloadError[] = [];
    const runtime = await runtimeFor(folder, { onError: (error) => errors.push(error) });
    expect(errors.map((error) => error.file).sort()).toEqual(["broken.ts", "throws.ts"]);
    for (const error of errors) {
      expect(error.text).not.toContain("previous version");
      expect(error.text).toContain(`${error.file} is not loaded until then`);
    }
    // initialReport and failures() tell the same, after the fact
    expect(runtime.initialReport.errors.map((error) => error.text)).toEqual(errors.map((error) => error.text));
    expect(runtime.failures().map((error) => error.file).sort()).toEqual(["broken.ts", "throws.ts"]);
    expect(runtime.files()).toEqual([]);

    // a running file that breaks keeps its previous version, and says so
    await folder.write("broken.ts", `export class Broken { run() { return 1; } }\n`);
    expect((await runtime.reload(["broken.ts"])).ok).toBe(true);
    await folder.write("broken.ts", `export class Broken { run() { return 1 +; } }\n`);
    const report = await runtime.reload(["broken.ts"]);
    expect(report.errors[0]!.text).toContain("the previous version keeps running");
  });

  it("an onError that throws does not stop the load", async () => {
    const folder = await scriptsFolder({ "a.ts": `export const x = ;\n`, "b.ts": `export class B {}\n` });
    const runtime = await runtimeFor(folder, {
      onError: () => {
        throw new Error("listener bug");
      },
    });
    expect(runtime.files()).toEqual(["b.ts"]);
  });

  it("refuses an onError that is not a function", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A {}\n` });
    await expect(runtimeFor(folder, { onError: "console" as never })).rejects.toThrow(/'onError' must be a function/);
  });
});
