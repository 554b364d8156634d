import { describe, expect, it } from "vitest";
import type { GraftRuntime, ScriptClass } from "../host-api/index.js";
import { VerbTable } from "../demo/verb-table.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const COMMANDS = {
  "commands/base.ts": "export class Command { static verbs: string[] = []; }",
  "commands/look.ts": "import { Command } from './base';\nexport class Look extends Command { static verbs = ['look']; }",
  "commands/say.ts": "import { Command } from './base';\nexport class Say extends Command { static verbs = ['say']; }",
};

/** The real runtime, except that findSubclasses can be made to lose answers, as it did when VM memory grew. */
function lossyView(runtime: GraftRuntime): { view: GraftRuntime; dropNext: (count: number) => void } {
  let drop = 0;
  const view = {
    findSubclasses: (base: string) => {
      const found = runtime.findSubclasses(base);
      const lost = found.splice(0, drop);
      for (const cls of lost) cls.dispose();
      drop = 0;
      return found;
    },
  } as unknown as GraftRuntime;
  return { view, dropNext: (count) => (drop = count) };
}

describe("the demo's verb table never silently loses verbs (issue 8 item 5)", () => {
  it("keeps the previous table, and says so loudly, when commands vanish that no reload removed", async () => {
    const folder = await scriptsFolder(COMMANDS);
    const runtime = await runtimeFor(folder);
    const { view, dropNext } = lossyView(runtime);
    const alarms: string[] = [];
    const table = new VerbTable(view, () => {}, (alarm) => alarms.push(alarm));
    table.rebuild();
    expect(table.lookup("look")?.name).toBe("Look");
    await folder.write("commands/say.ts", "import { Command } from './base';\nexport class Say extends Command { static verbs = ['say', 'shout']; }");
    const report = await runtime.reload(["commands/say.ts"]);
    dropNext(1);
    table.rebuild(report);
    expect(alarms).toEqual([expect.stringContaining("the command list lost Look (commands/look.ts) although no reload removed them; keeping the previous table of 2 commands")]);
    expect(table.lookup("look")?.name).toBe("Look");
    expect((table.lookup("say") as ScriptClass).alive).toBe(true);
    table.dispose();
  });

  it("drops verbs whose command a reload really removed, retired or moved to another base", async () => {
    const folder = await scriptsFolder({ ...COMMANDS, "commands/wave.ts": "import { Command } from './base';\nexport class Wave extends Command { static verbs = ['wave']; }" });
    const runtime = await runtimeFor(folder);
    const alarms: string[] = [];
    const table = new VerbTable(runtime, () => {}, (alarm) => alarms.push(alarm));
    table.rebuild();
    await folder.remove("commands/look.ts");
    table.rebuild(await runtime.reload(["commands/look.ts"]));
    expect(table.lookup("look")).toBeUndefined();
    await folder.write("commands/say.ts", "export class Whisper { static verbs = ['whisper']; }");
    table.rebuild(await runtime.reload(["commands/say.ts"]));
    expect(table.lookup("say")).toBeUndefined();
    await folder.write("commands/wave.ts", "export class Plain {}\nexport class Wave extends Plain { static verbs = ['wave']; }");
    table.rebuild(await runtime.reload(["commands/wave.ts"]));
    expect(table.lookup("wave")).toBeUndefined();
    expect(alarms).toEqual([]);
    table.dispose();
  });
});
