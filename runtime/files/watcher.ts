import { watch, type FSWatcher } from "chokidar";
import path from "node:path";
import { lstat } from "node:fs/promises";
import { isModulePath, listScripts, toRelative } from "./script-files.js";
import { FolderEvents, isIgnoredPath } from "./folder-events.js";

/** The longest a steady stream of saves can hold a reload back. */
const MAX_BATCH_WAIT_MS = 500;
/**
 * A change of another file this soon after the last change starts a burst (a `git checkout`,
 * a save-all): its batch waits for BATCH_QUIET_MS of quiet. A `git checkout` writes its
 * files a few ms apart (more on a loaded machine), and each one that landed in a batch of
 * its own could run before the files it imports.
 */
const BATCH_QUIET_MS = 100;

/**
 * Watches the scripts folder (R2) and hands over batches of changed files. A lone save is
 * handed over as soon as it is seen (plus `debounceMs`, 0 by default): nothing waits on the
 * latency path. Changes of several files close together (an editor's atomic save, a `git
 * checkout`) are gathered into one batch once BATCH_QUIET_MS pass without another, and a
 * stream of saves still reloads at least every MAX_BATCH_WAIT_MS. The first file of a burst
 * is handed over alone before the burst is known: if it fails because the rest has not
 * arrived, it waits like any file whose import fails, and the host holds its error
 * (`errorDelay`) while the burst is still arriving.
 */
export class ScriptWatcher {
  private watcher: FSWatcher | undefined;
  /** The OS's own events, for the latency path (see start). */
  private readonly folderEvents: FolderEvents;
  /** Files changed and not handed over yet; true while each was seen only through a raw OS event (it may be mid-write). */
  private pending = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  /** The last change seen (any file), and its file. */
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  private lastFile: string | undefined;
  /** Set by a second file changing within BATCH_QUIET_MS; cleared when its batch is handed over. */
  private inBurst = false;

  constructor(
    private readonly root: string,
    private readonly debounceMs: number,
    /** `midWrite`: the files of the batch seen only through the OS's raw event, before their write settled (see start). */
    private readonly onBatch: (files: string[], midWrite: Set<string>) => void,
    private readonly loadedFilesUnder: (folder: string) => string[],
    /** Told when the file watcher itself fails (too many open files, a folder turned unreadable). */
    private readonly onError: (error: unknown) => void,
  ) {
    // The fast path: the OS's own change notification, before chokidar's write-settle check.
    // A save seen half-written reads as unchanged, empty or broken and is simply applied again
    // by the event that follows (the write's own, or chokidar's settled one): such a file is
    // handed over as `midWrite`, so that reading it empty waits for that event instead of a
    // timer. A file's content changing is no news for the folders (pathChanged): only a
    // created, deleted or moved name is.
    this.folderEvents = new FolderEvents(root, (kind, relative) => {
      if (isModulePath(relative)) this.add([relative], true);
      if (kind === "rename") this.pathChanged(relative);
    });
  }

  async start(): Promise<void> {
    // Before chokidar's: a folder's watches are told of an event in the order they were made.
    await this.folderEvents.start();
    const watcher = watch(this.root, {
      ignoreInitial: true,
      // Without it, chokidar drops a change that follows another within ~50 ms (it takes
      // our own read of the file for an access-only event). A 2 ms stability poll costs
      // little latency and loses no save.
      awaitWriteFinish: { stabilityThreshold: 2, pollInterval: 1 },
      // A symbolic link is not a script (runtime/files/script-files.ts): never watch what one leads to.
      followSymlinks: false,
      ignored: (full: string) => isIgnoredPath(toRelative(this.root, full)),
    });
    this.watcher = watcher;
    const onFile = (full: string, kind: "add" | "change" | "unlink"): void => {
      const relative = toRelative(this.root, path.resolve(full));
      if (isModulePath(relative)) this.add([relative], false);
      if (kind !== "change") this.pathChanged(relative);
    };
    watcher.on("add", (full: string) => onFile(full, "add"));
    watcher.on("change", (full: string) => onFile(full, "change"));
    watcher.on("unlink", (full: string) => onFile(full, "unlink"));
    watcher.on("unlinkDir", (full: string) => this.pathChanged(toRelative(this.root, path.resolve(full))));
    watcher.on("addDir", (full: string) => this.pathChanged(toRelative(this.root, path.resolve(full))));
    watcher.on("error", (error: unknown) => this.onError(error));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  }

  private closed = false;

  /**
   * A path changed: the scripts loaded under it (a folder replaced by a file of the same
   * name, or deleted) and, when it is a folder now (new, or a file replaced by a folder of
   * the same name, which chokidar does not look into), the scripts in it are changes too.
   */
  private pathChanged(relative: string): void {
    if (relative === "" || relative.startsWith("..") || isIgnoredPath(relative)) return;
    const full = path.join(this.root, relative);
    void (async () => {
      const under = this.loadedFilesUnder(relative);
      let inside: string[] = [];
      try {
        if ((await lstat(full)).isDirectory()) {
          // Watched before it is listed: a script written meanwhile is in the listing or seen by the watch.
          await this.folderEvents.watchTree(relative);
          inside = (await listScripts(full)).map((file) => `${relative}/${file}`);
        } else {
          this.folderEvents.unwatch(relative);
        }
      } catch {
        // Gone again: what was loaded under it is enough.
        this.folderEvents.unwatch(relative);
      }
      if (!this.closed) this.add([...under, ...inside]);
    })();
  }

  private add(files: string[], midWrite = false): void {
    if (files.length === 0) return;
    const now = Date.now();
    if (files.length > 1 || (now - this.lastChangeAt < BATCH_QUIET_MS && files.some((file) => file !== this.lastFile))) this.inBurst = true;
    this.lastChangeAt = now;
    this.lastFile = files[files.length - 1];
    if (this.pending.size === 0) this.firstPendingAt = now;
    for (const file of files) this.pending.set(file, midWrite && this.pending.get(file) !== false);
    clearTimeout(this.timer);
    const waited = now - this.firstPendingAt;
    const quiet = this.inBurst || this.pending.size > 1 ? Math.max(this.debounceMs, BATCH_QUIET_MS) : this.debounceMs;
    const delay = Math.max(0, Math.min(quiet, MAX_BATCH_WAIT_MS - waited));
    if (delay === 0) {
      this.timer = undefined;
      this.flush();
    } else {
      this.timer = setTimeout(() => this.flush(), delay);
    }
  }

  /** Changes seen and not handed over yet: a batch is still gathering. */
  get gathering(): boolean {
    return this.pending.size > 0 || Date.now() - this.lastChangeAt < BATCH_QUIET_MS;
  }

  private flush(): void {
    const files = [...this.pending.keys()].sort();
    const midWrite = new Set(files.filter((file) => this.pending.get(file)));
    this.pending.clear();
    this.timer = undefined;
    if (Date.now() - this.lastChangeAt >= BATCH_QUIET_MS) this.inBurst = false;
    if (files.length > 0) this.onBatch(files, midWrite);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.pending.clear();
    this.folderEvents.close();
    await this.watcher?.close();
  }
}
