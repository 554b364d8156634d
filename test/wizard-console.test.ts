import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runAdminCommand } from "../demo/admin.js";
import { describeReload, type ReloadReport } from "../host-api/index.js";
import { MudClient, startGame } from "./demo-client.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

const LOOK = `import { Command } from "./base";
import type { Player } from "../world/player";
export class Look extends Command {
  static verbs = ["look", "l"];
  static help = "look around";
  execute(player: Player): string { return "You see " + player.room.name + "."; }
}
`;

describe("the live-coding console", () => {
  it("says a file is fine again when a broken edit is undone back to the running content", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { v() { return 1; } }\n` });
    const runtime = await runtimeFor(folder, { watch: true, errorDelay: 0 });
    const reports: ReloadReport[] = [];
    runtime.on("reload", (report) => reports.push(report));
    await folder.write("a.ts", `export class A { v() { return 1 +; } }\n`);
    await waitFor(() => reports.some((report) => report.errors.length > 0), 5000, "the failed reload");
    await folder.write("a.ts", `export class A { v() { return 1; } }\n`);
    const recovered = await waitFor(() => reports.find((report) => report.recovered.length > 0), 5000, "the recovery");
    expect(recovered).toMatchObject({ ok: true, files: [], recovered: ["a.ts"], errors: [] });
    expect(describeReload(recovered)).toEqual(["[reload] a.ts: fine again (back to the running version; the broken edit was undone)"]);
    // undoing to the running content when nothing had failed reports nothing
    const before = reports.length;
    expect((await runtime.reload(["a.ts"])).recovered).toEqual([]);
    expect(reports.length).toBe(before);
  });

  it("a save with a pause mid-write prints no FAILED before the settled write applies", async () => {
    const started = await startGame({ errorDelay: 5000 });
    cleanup.push(started.stop);
    const { scripts, logs } = started;
    const file = path.join(scripts, "commands/look.ts");
    // The editor writes the first half, pauses (longer than the watcher's debounce), then the rest.
    await writeFile(file, LOOK.slice(0, LOOK.indexOf("static help")));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await writeFile(file, LOOK);
    await waitFor(() => logs.some((line) => line.startsWith("[reload] commands/look.ts in")), 10_000, `the settled write; console:\n${logs.join("\n")}`);
    expect(logs.filter((line) => line.includes("FAILED") || line.includes("fine again"))).toEqual([]);
  });

  it("a failed save is still reported once the file stops changing", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A {}\n` });
    const errors: string[] = [];
    const runtime = await runtimeFor(folder, { watch: true, errorDelay: 1000, onError: (error) => errors.push(error.file) });
    const reports: ReloadReport[] = [];
    runtime.on("reload", (report) => reports.push(report));
    // One save reaches the watcher through several OS events (truncation, write): one report.
    await folder.write("a.ts", `export class A { x = ; }\n`);
    await waitFor(() => errors.length > 0, 10_000, "the error report");
    expect(errors).toEqual(["a.ts"]);
    expect(reports.map((report) => report.errors.map((error) => error.file))).toEqual([["a.ts"]]);
  });
});

describe("wizard commands", () => {
  it("@leaks does not count graft's copy of a deleted file's hot.data, and prints several paths apart", async () => {
    const folder = await scriptsFolder({
      "kept.ts": `export class Keepsake { v = 1; }\nimport.meta.hot.data.kept ??= new Keepsake();\n`,
      "ghost.ts": `export class Ghost {}\n`,
      "holder.ts": `import { Ghost } from "./ghost";\nglobalThis.one ??= Ghost;\nglobalThis.two ??= [Ghost];\n`,
    });
    const runtime = await runtimeFor(folder);
    await folder.remove("kept.ts");
    await folder.write("ghost.ts", `export class Other {}\n`);
    const report = await runtime.reload(["kept.ts", "ghost.ts"]);
    expect(report.retired.map((retired) => retired.name).sort()).toEqual(["Ghost", "Keepsake"]);
    const leaks = runtime.leaks();
    expect(leaks.map((leak) => leak.name)).toEqual(["Ghost"]);
    const text = await runAdminCommand(runtime, "@leaks", "", folder.root);
    expect(text).not.toContain("Keepsake");
    expect(text).toMatch(/^Ghost {2}class, retired \(ghost\.ts v1\): alive after a full GC, retains \d+ bytes; held alone by the globals of holder\.ts; 2 paths hold it:\n {2}path 1:\n {4}<- global '(one|two)'/);
    expect(text).toMatch(/\n {2}path 2:\n {4}<- /);
    // a re-created file starts with fresh hot.data
    await folder.write("kept.ts", `export class Keepsake {}\nexport const fresh = import.meta.hot.data.kept === undefined;\n`);
    await runtime.reload(["kept.ts"]);
    expect(runtime.exports("kept.ts").fresh!.toHost()).toBe(true);
  });

  it("@heap names every class (host functions' data included), and help lists the wizard commands to wizards only", async () => {
    const started = await startGame();
    cleanup.push(started.stop);
    const wizard = await MudClient.connect(started.game.port, "wizard");
    const player = await MudClient.connect(started.game.port, "Pat");
    const heap = await wizard.command("@heap");
    expect(heap).toMatch(/^GC: \d+ -> \d+ live objects\./);
    expect(heap).not.toMatch(/class \d+/);
    // graft's own objects (host functions' data, its kernel's collections) only when asked
    expect(heap).not.toMatch(/HostRef|Safe(Map|Set|Array)|\d {2}$/m);
    expect(await wizard.command("@heap all")).toMatch(/HostRef\n|HostRef$/);
    const help = await wizard.command("help");
    for (const command of ["@reload", "@leaks", "@heap", "@snapshot", "@eval"]) expect(help).toContain(command);
    expect(help).toContain("Wizard commands:");
    const plain = await player.command("help");
    expect(plain).toContain("look");
    expect(plain).not.toContain("@");
    wizard.close();
    player.close();
  });
});
