import { describe, expect, it } from "vitest";
import { runtimeFor } from "./helpers.js";
import { projectFiles, projectFolder } from "./projects.js";
import type { LeakReport } from "../host-api/index.js";

/**
 * Calls a top-level function a file exports, releasing every handle it took (a handle the
 * host keeps to a replaced version's function is a hold leaks() rightly reports).
 */
function callExport(runtime: Awaited<ReturnType<typeof runtimeFor>>, file: string, name: string): unknown {
  const exports = runtime.exports(file);
  try {
    const result = exports[name]!.invoke();
    try {
      return result.toHost();
    } finally {
      result.dispose();
    }
  } finally {
    for (const value of Object.values(exports)) value.dispose();
  }
}

const summary = (leak: LeakReport): string => `${leak.kind} ${leak.name} (${leak.file} v${leak.version})${leak.retired ? " retired" : ""}`;

describe("leaks() reports superseded top-level functions that live data holds (test/projects/superseded-functions)", () => {
  it("a contact made before a reload keeps the old collide function: leaks() and the leak event name it, with the path that holds it", async () => {
    const files = await projectFiles("superseded-functions");
    const folder = await projectFolder("superseded-functions");
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    callExport(runtime, "world.ts", "addContact");
    expect(runtime.leaks()).toEqual([]);

    const events: LeakReport[][] = [];
    runtime.on("leak", (leaks) => events.push(leaks));
    await folder.write("collide.ts", files["collide.ts"]!.replace("circles v1", "circles v2"));
    const report = await runtime.reload(["collide.ts"]);
    expect(report.errors).toEqual([]);
    expect(report.patched).toEqual([]);
    // The contact made before the reload still calls the version it was given; a new one calls the new.
    callExport(runtime, "world.ts", "addContact");
    expect(callExport(runtime, "world.ts", "stepAll")).toEqual(["hello from the plugin", "circles v1", "circles v2"]);

    const leaks = runtime.leaks();
    expect(leaks.map(summary)).toEqual(["function collideCircles (collide.ts v1)"]);
    const text = leaks[0]!.text;
    expect(text).toMatch(/^collideCircles {2}top-level function, superseded \(collide\.ts v1\): alive after a full GC/);
    expect(text).toContain("\n  <- property 'm_evaluateFcn' of Contact\n  <- element [1] of Array\n");
    expect(leaks[0]!.paths[0]!.steps[0]).toEqual({ edge: "property 'm_evaluateFcn'", holder: "Contact", root: false });
    // The reload's own leak check found it too (the reload patched no class).
    expect(events.map((found) => found.map(summary))).toEqual([["function collideCircles (collide.ts v1)"]]);
  });

  it("once live data lets go of the old function, nothing is reported: graft holds it only weakly", async () => {
    const files = await projectFiles("superseded-functions");
    const folder = await projectFolder("superseded-functions");
    const runtime = await runtimeFor(folder);
    callExport(runtime, "world.ts", "addContact");
    await folder.write("collide.ts", files["collide.ts"]!.replace("circles v1", "circles v2"));
    await runtime.reload(["collide.ts"]);
    expect(runtime.leaks().map(summary)).toEqual(["function collideCircles (collide.ts v1)"]);
    const dropped = runtime.evaluate("state.ts", "contacts.splice(1).length");
    expect(dropped.toHost()).toBe(1);
    dropped.dispose();
    expect(runtime.leaks()).toEqual([]);
  });

  it("no false reports for what graft keeps on purpose: a replaced version's timer, dispose callback and hot.data", async () => {
    const files = await projectFiles("superseded-functions");
    const folder = await projectFolder("superseded-functions");
    const runtime = await runtimeFor(folder);
    for (const version of ["v2", "v3"]) {
      await folder.write("ticker.ts", files["ticker.ts"]!.replace("ticker v1", `ticker ${version}`));
      const report = await runtime.reload(["ticker.ts"]);
      expect(report.errors).toEqual([]);
    }
    const label = runtime.exports("ticker.ts").label!;
    expect(label.toHost()).toBe("ticker v3");
    label.dispose();
    const data = runtime.evaluate("ticker.ts", "[import.meta.hot.data.runs, typeof import.meta.hot.data.stopped]");
    expect(data.toHost()).toEqual([3, "number"]);
    data.dispose();
    expect(runtime.leaks()).toEqual([]);
  });

  it("a timer a call started (not the top level: it is not cancelled at commit) that holds an old function is reported as a live timer's callback", async () => {
    const pulse = (version: string): string => `function beat(): string { return "${version}"; }\nexport function start(): void { setInterval(beat, 60_000); }\n`;
    const folder = await projectFolder("superseded-functions", { "pulse.ts": pulse("v1") });
    const runtime = await runtimeFor(folder);
    callExport(runtime, "pulse.ts", "start");
    await folder.write("pulse.ts", pulse("v2"));
    await runtime.reload(["pulse.ts"]);
    const leaks = runtime.leaks();
    expect(leaks.map(summary)).toEqual(["function beat (pulse.ts v1)"]);
    expect(leaks[0]!.text).toContain("\n  <- property 'callback' of Timer");
  });

  it("hot.data that holds an old version's function is reported, with hot.data on its path", async () => {
    const keep = (version: string): string => `export function handler(): string { return "${version}"; }\nimport.meta.hot!.data.handler ??= handler;\n`;
    const folder = await projectFolder("superseded-functions", { "keep.ts": keep("v1") });
    const runtime = await runtimeFor(folder);
    await folder.write("keep.ts", keep("v2"));
    await runtime.reload(["keep.ts"]);
    const leaks = runtime.leaks();
    expect(leaks.map(summary)).toEqual(["function handler (keep.ts v1)"]);
    expect(leaks[0]!.text).toMatch(/\n {2}<- property 'handler' of object\n {2}<- property 'hotData' of object\n/i);
  });

  it("a deleted file's function that live data holds is reported as of a deleted file", async () => {
    const folder = await projectFolder("superseded-functions");
    const runtime = await runtimeFor(folder);
    await folder.remove("plugin.ts");
    const report = await runtime.reload(["plugin.ts"]);
    expect(report.removed).toEqual(["plugin.ts"]);
    const leaks = runtime.leaks();
    expect(leaks.map(summary)).toEqual(["function greet (plugin.ts v1) retired"]);
    expect(leaks[0]!.text).toMatch(/^greet {2}top-level function of a deleted file \(plugin\.ts v1\)/);
    expect(leaks[0]!.text).toContain("<- property 'm_evaluateFcn' of Contact");
  });
});
