// Generated fixtures and small statistics helpers shared by every bench module.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const SCRIPT_LINES = 200;
export const SCRIPT_CLASSES = 5;

/**
 * The 200-line script with 5 classes (a chain: Unit1 extends Unit0, ...), each with statics,
 * fields, a constructor, a getter and six methods. Edit `n` changes `Unit0#answer()` (which
 * every subclass reaches through `super`), `static revision` of every class and one method
 * body per class, so a host call observes exactly when edit `n` is live:
 * `new UnitC().answer() === n * 10 + C`.
 *
 * `typescript: false` gives the same code as plain JavaScript (the copy `node --watch` runs).
 */
export function script200(n, { typescript = true } = {}) {
  const t = (type) => (typescript ? `: ${type}` : "");
  const lines = [`// generated bench fixture, edit ${n}`];
  for (let c = 0; c < SCRIPT_CLASSES; c++) {
    const base = c > 0 ? ` extends Unit${c - 1}` : "";
    lines.push(`export class Unit${c}${base} {`);
    lines.push(`  static kind${t("string")} = "unit${c}";`);
    lines.push(`  static revision${t("number")} = ${n};`);
    lines.push(`  hp${t("number")} = ${100 + c};`);
    lines.push(`  tags${t("string[]")} = ["t${c}"];`);
    lines.push(`  constructor(name${t("string")} = "u${c}") {`);
    lines.push(c > 0 ? `    super(name);` : `    this.tags.push(name);`);
    lines.push(`  }`);
    lines.push(`  get level()${t("number")} {`);
    lines.push(`    return Math.floor(this.hp / 10) + ${c};`);
    lines.push(`  }`);
    lines.push(`  answer()${t("number")} {`);
    lines.push(c > 0 ? `    return super.answer() + 1;` : `    return ${n * 10};`);
    lines.push(`  }`);
    for (let m = 0; m < 6; m++) {
      lines.push(`  skill${m}(level${t("number")})${t("number")} {`);
      lines.push(`    const base = this.hp * ${m === c ? n % 7 : m + 1};`);
      lines.push(`    return base + level * ${c + 1};`);
      lines.push(`  }`);
    }
    lines.push(`}`);
  }
  if (lines.length > SCRIPT_LINES) throw new Error(`fixture has ${lines.length} lines, more than ${SCRIPT_LINES}`);
  while (lines.length < SCRIPT_LINES) lines.push(`// padding ${lines.length}`);
  return lines.join("\n") + "\n";
}

/** What `new Unit0().answer()` returns once edit `n` is live. */
export const answerOf = (n) => n * 10;

const made = [];

export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), `graft-bench-${prefix}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs() {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * `count` command scripts shaped like the demo's (scripts/commands/*.ts): each a class
 * extending a shared base, with static verbs and help, calling into a shared world module.
 */
export function commandScripts(count, { header = "" } = {}) {
  const dir = tempDir("startup");
  mkdirSync(path.join(dir, "commands"));
  writeFileSync(
    path.join(dir, "base.ts"),
    [
      `export class Command {`,
      `  static verbs: string[] = [];`,
      `  static help = "";`,
      `  execute(player: { name: string }, args: string): string {`,
      `    return \`\${player.name} cannot do that (\${args})\`;`,
      `  }`,
      `}`,
      `export function article(word: string): string {`,
      `  return /^[aeiou]/.test(word) ? "an " + word : "a " + word;`,
      `}`,
      ``,
    ].join("\n"),
  );
  for (let i = 0; i < count; i++) {
    writeFileSync(
      path.join(dir, "commands", `c${i}.ts`),
      [
        ...(header ? [header] : []),
        `import { Command, article } from "../base";`,
        ``,
        `export class Command${i} extends Command {`,
        `  static verbs = ["verb${i}", "v${i}"];`,
        `  static help = "verb${i} [thing]: does thing number ${i}";`,
        ``,
        `  execute(player: { name: string }, args: string): string {`,
        `    if (args === "") return \`\${player.name} does verb${i}.\`;`,
        `    const thing = article(args);`,
        `    return \`\${player.name} uses \${thing} (\${${i} % 7}).\`;`,
        `  }`,
        `}`,
        ``,
      ].join("\n"),
    );
  }
  return dir;
}

/** A temp scripts folder holding the 200-line script (edit 0) as `units.ts`. */
export function unitsFolder(prefix) {
  const dir = tempDir(prefix);
  const file = path.join(dir, "units.ts");
  writeFileSync(file, script200(0));
  return { dir, file };
}

/** One instance of each class of `units.ts`, held by the host across reloads as a server would. */
export function holdUnits(runtime) {
  return Array.from({ length: SCRIPT_CLASSES }, (_, c) => runtime.getClass("units.ts", `Unit${c}`).new());
}

export function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export const median = (samples) => percentile(samples, 0.5);

/** VM bytes in use (QuickJS `memory_used_size`), read through the kernel context. */
export function vmBytes(runtime) {
  const handle = runtime.vm.runtime.computeMemoryUsage();
  try {
    return runtime.kernelContext.dump(handle).memory_used_size;
  } finally {
    handle.dispose();
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const tick = () => new Promise((resolve) => setImmediate(resolve));

export const round = (value, digits = 2) => (value === null || !Number.isFinite(value) ? value : Number(value.toFixed(digits)));

/**
 * A wait that something can end early: `next(ms)` resolves at the next `wake()`, or after
 * `ms` in case the event it waits for was missed.
 */
export function wakeableWait() {
  let wake = () => {};
  return {
    wake: () => wake(),
    next: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
  };
}
