#!/usr/bin/env node
// Replays the git history of a real TypeScript project through one long-lived graft runtime
// and compares every commit with a fresh load of the same files (R13 on real code). Not part
// of `npm test` (it takes minutes). Build first (`npm run build`), then:
//
//   node tools/replay-history.mjs <git dir of the project> --project rot|planck [--limit N] [--out results.json]
//   node tools/replay-history.mjs <git dir> --src <folder> [--first <commit>] [--probe <file.ts>] ...  (any other project)
//
// For each commit that touches the project's sources (oldest first, every branch in
// topological order), the scripts folder is brought to that commit's files (changed files
// written, deleted ones removed) and the long-lived runtime reloads every changed file as one
// transaction (as after a `git checkout`); then a fresh runtime loads the same folder. Both
// are compared on:
//   - load state: which files fail, and why;
//   - exported structure: every export of every file that runs in both, described in the VM
//     (type, name, arity, own static and prototype keys of functions and classes, keys of objects);
//   - deterministic probes written for the project (tools/replay-probes/<project>.ts, copied
//     into the folder as __replay_probe__.ts, importing the library as a game would);
// and the long-lived runtime alone on class identity (a class defined by the same file under
// the same name is the same object from one commit to the next, R4) and on leaks() (nothing
// of an old version alive after a full GC, since nothing but the probes' throwaway data used it).
// A file that fails in the fresh load but whose previous version keeps running in the
// long-lived runtime is expected (R3), and its exports are not compared.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRuntime } from "../dist/host-api/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * What is replayed of each project: its sources, what of them is not the library (tests),
 * its probe, and the first commit of its TypeScript history (the merge that converted it).
 */
const PROJECTS = {
  rot: { src: "src", exclude: /(^|\/)(__tests?(__)?|tests?)\/|\.test\.ts$/, probe: "rot.ts", first: "f62ac1e" },
  planck: { src: "src", exclude: /(^|\/)__tests?(__)?\/|\.test\.ts$/, probe: "planck.ts", first: "cfcb332" },
};
const PROBE_FILE = "__replay_probe__.ts";
const SCRIPT = /\.(ts|js|mjs|json)$/;

function parseArguments(argv) {
  const options = { gitDir: undefined, project: undefined, limit: Infinity, out: undefined, timeout: 10_000, src: undefined, first: undefined, probe: undefined };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${argument} needs a value`);
      return next;
    };
    if (argument === "--project") options.project = value();
    else if (argument === "--limit") options.limit = Number(value());
    else if (argument === "--out") options.out = value();
    else if (argument === "--timeout") options.timeout = Number(value());
    else if (argument === "--src") options.src = value();
    else if (argument === "--first") options.first = value();
    else if (argument === "--probe") options.probe = path.resolve(value());
    else if (!argument.startsWith("--") && options.gitDir === undefined) options.gitDir = argument;
    else throw new Error(`unknown argument ${argument}`);
  }
  if (options.src !== undefined && options.project === undefined) {
    options.project = "custom";
    PROJECTS.custom = { src: options.src, exclude: /(^|\/)__tests?(__)?\/|\.test\.ts$/, probe: options.probe, first: options.first };
  }
  if (!options.gitDir || !PROJECTS[options.project]) {
    throw new Error(`usage: node tools/replay-history.mjs <git dir> --project ${Object.keys(PROJECTS).join("|")} | --src <folder> [--first <commit>] [--probe <file.ts>]; [--limit N] [--out results.json]`);
  }
  return options;
}

const git = (gitDir, ...args) => execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });

/** The project's script files at a commit: path under src -> blob id. */
function treeAt(gitDir, project, commit) {
  const files = new Map();
  for (const line of git(gitDir, "ls-tree", "-r", commit, "--", project.src).split("\n")) {
    const match = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(line);
    if (!match) continue;
    const relative = path.posix.relative(project.src, match[2]);
    if (!SCRIPT.test(relative) || project.exclude.test(relative) || relative === PROBE_FILE) continue;
    files.set(relative, match[1]);
  }
  return files;
}

/** Describes a value in the VM, the same way for both runtimes. */
const DESCRIBE = `(value) => {
  const type = typeof value;
  const own = (object, skip) => Object.getOwnPropertyNames(object).filter((key) => !skip.includes(key)).sort();
  if (type === "function") {
    const prototype = value.prototype !== null && typeof value.prototype === "object" ? own(value.prototype, ["constructor"]) : null;
    const isClass = /^class\\b/.test(Function.prototype.toString.call(value));
    return { type: isClass ? "class" : "function", name: value.name, length: value.length, statics: own(value, ["length", "name", "prototype", "arguments", "caller"]), prototype };
  }
  if (type === "object" && value !== null) {
    const keys = Object.keys(value).sort().slice(0, 200);
    return { type: Array.isArray(value) ? "array" : "object", keys: keys.map((key) => { try { return key + ":" + typeof value[key]; } catch (error) { return key + ":throws"; } }) };
  }
  if (type === "symbol" || type === "bigint") return { type };
  return { type, value: type === "number" && !Number.isFinite(value) ? String(value) : value };
}`;

function withValue(value, use) {
  try {
    return use(value);
  } finally {
    value.dispose();
  }
}

/** What a runtime shows of the project: failing files, every export's shape, the probe's answer. */
function observe(runtime) {
  const failures = new Map(runtime.failures().map((failure) => [failure.file, { message: failure.message, running: failure.running === true }]));
  const files = runtime.files();
  const exports = {};
  const classes = new Map();
  const describer = files.length > 0 ? runtime.evaluate(files[0], DESCRIBE) : undefined;
  try {
    for (const file of files) {
      const namespace = runtime.exports(file);
      const shape = {};
      for (const name of Object.keys(namespace).sort()) {
        try {
          shape[name] = withValue(describer.invoke(namespace[name]), (described) => described.toHost());
        } catch (error) {
          shape[name] = { type: "unreadable", error: String(error.message ?? error).split("\n")[0] };
        }
        if (shape[name].type === "class") {
          try {
            classes.set(`${file}#${shape[name].name}`, runtime.getClass(file, shape[name].name));
          } catch {
            // A class it re-exports: another file defines it.
          }
        }
      }
      for (const value of Object.values(namespace)) value.dispose();
      exports[file] = shape;
    }
  } finally {
    describer?.dispose();
  }
  let probe;
  if (files.includes(PROBE_FILE)) {
    const namespace = runtime.exports(PROBE_FILE);
    try {
      probe = withValue(namespace.probe.invoke(), (result) => result.toHost());
    } catch (error) {
      probe = `probe failed: ${String(error.message ?? error).split("\n")[0]}`;
    } finally {
      for (const value of Object.values(namespace)) value.dispose();
    }
  } else {
    probe = `probe not loaded: ${failures.get(PROBE_FILE)?.message ?? "none"}`;
  }
  return { failures, exports, probe, classes };
}

/** A failure's message without what differs by construction (version numbers, timings). */
const normalise = (message) => message.replace(/\bv\d+\b/g, "v#").replace(/\d+(\.\d+)? ms\b/g, "# ms");

/**
 * The probe's `persistent()`, if it has one, in the long-lived runtime only: state made at an
 * earlier commit meeting this commit's code (not compared: a fresh load has no earlier state).
 */
function persistentProbe(runtime) {
  if (!runtime.files().includes(PROBE_FILE)) return undefined;
  const namespace = runtime.exports(PROBE_FILE);
  try {
    if (!namespace.persistent) return undefined;
    return withValue(namespace.persistent.invoke(), (result) => result.toHost());
  } catch (error) {
    return `threw: ${String(error.message ?? error).split("\n")[0]}`;
  } finally {
    for (const value of Object.values(namespace)) value.dispose();
  }
}

/** Where the long-lived runtime and the fresh load disagree at one commit. */
function compare(live, fresh) {
  const divergences = [];
  const expected = [];
  const files = new Set([...live.failures.keys(), ...fresh.failures.keys()]);
  // A broken file whose previous version keeps running (R3) still serves its importers in the
  // long-lived runtime; a fresh load fails them (they wait on it), and whatever waits on them.
  const served = new Set([...live.failures].filter(([file, failure]) => failure.running && fresh.failures.has(file)).map(([file]) => file));
  const waiting = [...fresh.failures].filter(([file]) => !live.failures.has(file));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [file, failure] of waiting) {
      if (served.has(file) || ![...served].some((broken) => failure.message.includes(broken))) continue;
      served.add(file);
      grew = true;
    }
  }
  for (const file of [...files].sort()) {
    const a = live.failures.get(file);
    const b = fresh.failures.get(file);
    const culprit = a && /its batch rolled back because (\S+) failed/.exec(a.message)?.[1];
    if (a && !b && culprit && fresh.failures.has(culprit)) {
      // A checkout is one transaction (R2, R3): a file of it that fails keeps the whole batch out.
      expected.push(`${file}: not applied, its batch rolled back because ${culprit} fails (also fresh)`);
    } else if (!a && b && served.has(file)) {
      expected.push(`${file}: fails fresh, waiting on a broken file whose previous version keeps running in the long-lived runtime (R3)`);
    } else if (a && b) {
      // Its previous version keeps running: the long-lived runtime says "not applied", a fresh load "not loaded".
      if (a.running) expected.push(`${file}: fails as in a fresh load; its previous version keeps running (R3)`);
      else if (normalise(a.message) !== normalise(b.message)) divergences.push({ kind: "failure message", file, live: a.message, fresh: b.message });
    } else if (a || b) {
      divergences.push({ kind: "load state", file, live: a ? `fails: ${a.message}` : "loads", fresh: b ? `fails: ${b.message}` : "loads" });
    }
  }
  for (const file of Object.keys(fresh.exports)) {
    if (!(file in live.exports) || live.failures.has(file)) continue;
    const a = JSON.stringify(live.exports[file]);
    const b = JSON.stringify(fresh.exports[file]);
    if (a === b) continue;
    const names = new Set([...Object.keys(live.exports[file]), ...Object.keys(fresh.exports[file])]);
    for (const name of names) {
      const x = JSON.stringify(live.exports[file][name]);
      const y = JSON.stringify(fresh.exports[file][name]);
      if (x !== y) divergences.push({ kind: "export", file, name, live: x ?? "(none)", fresh: y ?? "(none)" });
    }
  }
  const a = JSON.stringify(live.probe);
  const b = JSON.stringify(fresh.probe);
  if (a !== b && served.has(PROBE_FILE)) {
    expected.push(`the probe: it fails fresh, waiting on a broken file whose previous version keeps running (R3)`);
  } else if (a !== b) {
    const keys = live.probe && typeof live.probe === "object" && fresh.probe && typeof fresh.probe === "object" ? new Set([...Object.keys(live.probe), ...Object.keys(fresh.probe)]) : [""];
    for (const key of keys) {
      const x = JSON.stringify(key === "" ? live.probe : live.probe[key]);
      const y = JSON.stringify(key === "" ? fresh.probe : fresh.probe[key]);
      if (x !== y) divergences.push({ kind: "probe", name: key || "(all)", live: x, fresh: y });
    }
  }
  return { divergences, expected };
}

/** Classes the same file defines under the same name at two commits must be the same object (R4). */
function identity(previous, current) {
  const lost = [];
  let kept = 0;
  for (const [key, cls] of current) {
    const before = previous.get(key);
    if (!before) continue;
    let same = false;
    try {
      same = before.isSame(cls);
    } catch {
      same = false;
    }
    if (same) kept++;
    else lost.push(key);
  }
  return { kept, lost };
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const project = PROJECTS[options.project];
  const { gitDir } = options;
  const first = project.first ? git(gitDir, "rev-parse", project.first).trim() : git(gitDir, "rev-list", "--max-parents=0", "HEAD").split("\n")[0];
  const range = [first, ...git(gitDir, "rev-list", "--reverse", "--topo-order", "--ancestry-path", `${first}..HEAD`, "--", project.src).split("\n").filter(Boolean)];
  const commits = range
    .map((hash) => `${hash} ${git(gitDir, "log", "-1", "--format=%s", hash).trim()}`)
    .filter(Boolean)
    .map((line) => ({ hash: line.slice(0, 40), subject: line.slice(41) }))
    .slice(0, options.limit);
  const folder = mkdtempSync(path.join(tmpdir(), `graft-replay-${options.project}-`));
  if (project.probe) writeFileSync(path.join(folder, PROBE_FILE), readFileSync(path.resolve(here, "replay-probes", project.probe), "utf8"));
  const runtimeOptions = { scripts: folder, watch: false, timeout: options.timeout, onError: () => {} };
  const blobs = new Map();
  const blob = (id) => {
    let text = blobs.get(id);
    if (text === undefined) {
      text = git(gitDir, "cat-file", "blob", id);
      blobs.set(id, text);
    }
    return text;
  };
  let current = new Map();
  let live;
  let previousClasses = new Map();
  const results = [];
  const started = Date.now();
  try {
    for (const [index, commit] of commits.entries()) {
      const tree = treeAt(gitDir, project, commit.hash);
      const changed = [...tree].filter(([file, id]) => current.get(file) !== id).map(([file]) => file);
      const removed = [...current.keys()].filter((file) => !tree.has(file));
      for (const file of changed) {
        mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
        writeFileSync(path.join(folder, file), blob(tree.get(file)));
      }
      for (const file of removed) rmSync(path.join(folder, file), { force: true });
      current = tree;
      const entry = { commit: commit.hash.slice(0, 10), subject: commit.subject, files: tree.size, changed: changed.length, removed: removed.length };
      const reloadStarted = Date.now();
      let liveError;
      try {
        if (!live) live = await createRuntime(runtimeOptions);
        else await live.reload();
      } catch (error) {
        liveError = String(error.message ?? error);
      }
      entry.reloadMs = Date.now() - reloadStarted;
      const freshStarted = Date.now();
      const fresh = await createRuntime(runtimeOptions);
      entry.freshMs = Date.now() - freshStarted;
      try {
        const freshView = observe(fresh);
        entry.freshFailures = [...freshView.failures.keys()];
        if (index === 0 || index === commits.length - 1) entry.probe = freshView.probe;
        if (liveError) {
          entry.divergences = [{ kind: "runtime", live: liveError, fresh: "loads" }];
          live?.dispose();
          live = await createRuntime(runtimeOptions);
          previousClasses = new Map();
        } else {
          const liveView = observe(live);
          Object.assign(entry, compare(liveView, freshView));
          const ids = identity(previousClasses, liveView.classes);
          entry.classesKept = ids.kept;
          if (ids.lost.length > 0) entry.divergences.push({ kind: "class identity", lost: ids.lost });
          previousClasses = liveView.classes;
          entry.persistent = persistentProbe(live);
          entry.leaks = live.leaks().map((leak) => leak.text.split("\n").slice(0, 3).join(" | "));
        }
      } finally {
        fresh.dispose();
      }
      results.push(entry);
      const status = entry.divergences.length === 0 ? "same" : `${entry.divergences.length} divergence(s)`;
      console.log(
        `${String(index + 1).padStart(3)}/${commits.length} ${entry.commit} ${status}; ${entry.files} files, ${entry.changed} changed, ${entry.removed} removed; ` +
          `fresh fails ${entry.freshFailures.length}; classes kept ${entry.classesKept ?? "-"}; leaks ${entry.leaks?.length ?? "-"}${entry.persistent === undefined ? "" : `; kept world: ${entry.persistent}`}; reload ${entry.reloadMs} ms, fresh ${entry.freshMs} ms  ${commit.subject.slice(0, 60)}`,
      );
      for (const divergence of entry.divergences) console.log(`      ${JSON.stringify(divergence).slice(0, 400)}`);
      for (const leak of entry.leaks ?? []) console.log(`      leak: ${leak.slice(0, 400)}`);
    }
  } finally {
    live?.dispose();
    rmSync(folder, { recursive: true, force: true });
  }
  const summary = {
    project: options.project,
    commits: results.length,
    same: results.filter((entry) => entry.divergences.length === 0).length,
    diverged: results.filter((entry) => entry.divergences.length > 0).map((entry) => entry.commit),
    freshFailing: results.filter((entry) => entry.freshFailures.length > 0).map((entry) => ({ commit: entry.commit, files: entry.freshFailures })),
    leaking: results.filter((entry) => entry.leaks?.length > 0).map((entry) => ({ commit: entry.commit, leaks: entry.leaks })),
    persistentTrouble: results.filter((entry) => entry.persistent !== undefined && !/^finite/.test(String(entry.persistent))).map((entry) => ({ commit: entry.commit, persistent: entry.persistent })),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify({ ...summary, freshFailing: summary.freshFailing.length, leaking: summary.leaking.length }));
  if (options.out) writeFileSync(options.out, JSON.stringify({ summary, results }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
