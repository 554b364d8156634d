import type { GraftRuntime, ReloadReport, ScriptClass } from "graft";
import type { CommandInfo } from "./script-host.js";

const COMMAND_BASE = "commands/base.ts#Command";


/**
 * verb -> command class, built from every subclass of Command that graft knows. Rebuilt
 * after each reload, so new, changed and deleted commands show up at once.
 */
export class VerbTable {
  private byVerb = new Map<string, ScriptClass>();
  private classes: ScriptClass[] = [];
  private infos: CommandInfo[] = [];

  constructor(
    private readonly runtime: GraftRuntime,
    private readonly warn: (message: string) => void,
    /** Loud: the table was not rebuilt because the answer looked wrong. */
    private readonly alarm: (message: string) => void = warn,
  ) {}

  /**
   * Rebuilds the table after `report` (none at start-up). A rebuild never silently loses
   * verbs: if a command disappears that the reload did not remove, retire or move to
   * another base class, the answer is not trusted and the previous table stays.
   */
  rebuild(report?: ReloadReport): void {
    const previous = this.classes;
    let classes: ScriptClass[];
    try {
      classes = this.runtime.findSubclasses(COMMAND_BASE);
    } catch (error) {
      if (previous.length > 0 && report) {
        this.alarm(`could not list commands (${error instanceof Error ? error.message : String(error)}); keeping the previous ${previous.length} commands`);
        return;
      }
      this.warn(`no command table: ${error instanceof Error ? error.message : String(error)}`);
      classes = [];
    }
    const unexplained = report ? previous.filter((old) => !classes.some((cls) => cls.isSame(old)) && !explainsLoss(report, old)) : [];
    if (unexplained.length > 0) {
      this.alarm(
        `the command list lost ${unexplained.map((cls) => `${cls.name} (${cls.file})`).join(", ")} although no reload removed them; keeping the previous table of ${previous.length} commands`,
      );
      for (const cls of classes) cls.dispose();
      return;
    }
    const byVerb = new Map<string, ScriptClass>();
    const infos: CommandInfo[] = [];
    for (const cls of classes) {
      const verbs = readStrings(cls, "verbs");
      const help = readPlain(cls, "help");
      infos.push({ name: cls.name, verbs, help: typeof help === "string" ? help : "" });
      for (const verb of verbs) {
        const owner = byVerb.get(verb);
        if (!owner) {
          byVerb.set(verb, cls);
          continue;
        }
        // Two live classes claiming one verb: a copy-pasted command, or a renamed class whose
        // old name is still defined somewhere. The class that had the verb before keeps it.
        const previousOwner = this.byVerb.get(verb);
        const keep = previousOwner?.isSame(cls) ? cls : owner;
        const other = keep === cls ? owner : cls;
        byVerb.set(verb, keep);
        this.warn(`verb '${verb}' is claimed by ${keep.name} (${keep.file}) and ${other.name} (${other.file}); keeping ${keep.name}`);
      }
    }
    this.byVerb = byVerb;
    this.classes = classes;
    this.infos = infos;
    for (const cls of previous) cls.dispose();
  }

  lookup(verb: string): ScriptClass | undefined {
    return this.byVerb.get(verb);
  }

  describe(): CommandInfo[] {
    return this.infos.map((info) => ({ ...info, verbs: [...info.verbs] }));
  }

  dispose(): void {
    for (const cls of this.classes) cls.dispose();
    this.classes = [];
    this.byVerb.clear();
  }
}

/** True if `report` says why `cls` is no longer a command: its file went, it was retired, or its base changed. */
function explainsLoss(report: ReloadReport, cls: ScriptClass): boolean {
  return (
    report.removed.includes(cls.file) ||
    report.retired.some((retired) => retired.file === cls.file && retired.name === cls.name) ||
    report.patched.some((patch) => patch.file === cls.file && patch.name === cls.name && patch.newBase !== undefined)
  );
}

/** A copy of `cls[key]` as plain data; the VM handle is released at once. */
function readPlain(cls: ScriptClass, key: string): unknown {
  const value = cls.get(key);
  try {
    return value.toHost();
  } finally {
    value.dispose();
  }
}

function readStrings(cls: ScriptClass, key: string): string[] {
  const value = readPlain(cls, key);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string").map((verb) => verb.toLowerCase()) : [];
}
