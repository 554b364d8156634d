import { describe, expect, it } from "vitest";
import { runAdminCommand } from "../demo/admin.js";
import { GraftError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** What a new user tripped on (issue 20), each driven through the public API as a host would. */

describe("reload() of a path that does not exist", () => {
  it("is a GraftError naming the path, in reload() and the demo's @reload", async () => {
    const folder = await scriptsFolder({ "animals/dog.ts": `export class Dog {}\n` });
    const runtime = await runtimeFor(folder);
    const typo = runtime.reload(["animals/dgo.ts"]);
    await expect(typo).rejects.toBeInstanceOf(GraftError);
    await expect(typo).rejects.toThrow(/'animals\/dgo\.ts' is not on disk .* and not loaded; check the spelling/);
    // a real file still reloads, and a deleted loaded file is a removal, not an error
    expect((await runtime.reload(["animals/dog.ts"], { force: true })).files).toEqual(["animals/dog.ts"]);
    await folder.remove("animals/dog.ts");
    expect((await runtime.reload(["animals/dog.ts"])).removed).toEqual(["animals/dog.ts"]);
    expect(await runAdminCommand(runtime, "@reload", "nosuch.ts", folder.root)).toMatch(/^@reload: reload\(files\): 'nosuch\.ts' is not on disk/);
  });
});
