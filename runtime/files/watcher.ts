import path from "node:path";
import { lstatSync } from "node:fs";
import { lstat } from "node:fs/promises";
import { isModulePath, listScripts } from "./script-files.js";
import { FolderEvents, isIgnoredPath, type FolderEventKind } from "./folder-events.js";

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
 * How long a script found empty at its last event waits for another before it is handed over
 * as settled: a save truncates the file, then writes it, and the write brings an event of its
 * own. On a loaded machine the write can come 150 ms after the truncation (seen with the
 * writer's thread-pool thread waiting for a CPU); applied meanwhile, the empty text would
 * retire the running classes. A script really emptied is rare, and waits this long.
 */
const EMPTY_SETTLE_MS = 500;

/**
 * How long a script gone at its last event waits for another before it is handed over as
 * removed: an editor that saves by moving the file away (its backup) and writing it anew
 * makes it missing for a moment, and a removal then would retire its classes and reload
 * everything importing it twice. A real deletion is a little later, which costs nothing.
 */
const GONE_SETTLE_MS = 50;

/**
 * Watches the scripts folder (R2) and hands over batches of changed files. A lone save is
 * handed over as soon as the OS reports it (plus `debounceMs`, 0 by default): nothing waits on
 * the latency path. Changes of several files close together (an editor's atomic save, a `git
 * checkout`) are gathered into one batch once BATCH_QUIET_MS pass without another, and a
 * stream of saves still reloads at least every MAX_BATCH_WAIT_MS. The first file of a burst
 * is handed over alone before the burst is known: if it fails because the rest has not
 * arrived, it waits like any file whose import fails, and the host holds its error
 * (`errorDelay`) while the burst is still arriving.
 *
 * The events are Node's own `fs.watch` of each folder (FolderEvents), as they arrive. Each
 * write of a file brings an event after its bytes are in, so the last event of a save finds
 * its whole text; a file handed over from an event may be read mid-write all the same (a
 * newer save truncating it), and is handed over as `midWrite`: read as empty, it is left to
 * the event that follows. A file that is empty at its event is not handed over then: it waits
 * EMPTY_SETTLE_MS for another event, and only a file still empty then (really emptied, or
 * created empty) is handed over as settled, to be read the careful way
 * (CandidateReader.readSettled). A file gone at its event waits GONE_SETTLE_MS likewise: an
 * editor that moves it away and writes it anew gives one reload, not a removal and a new load.
 */
export class ScriptWatcher {
  private readonly folderEvents: FolderEvents;
  /** Files changed and not handed over yet; true while each was seen only mid-write (see above). */
  private pending = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  /** The last change seen (any file), and its file. */
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  private lastFile: string | undefined;
  /** Set by a second file changing within BATCH_QUIET_MS; cleared when its batch is handed over. */
  private inBurst = false;
  /** Files empty (or gone) at their last event, waiting EMPTY_SETTLE_MS (GONE_SETTLE_MS) for another. */
  private readonly emptied = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly debounceMs: number,
    /** `midWrite`: the files of the batch seen only as the OS reported a write, before it settled (see above). */
    private readonly onBatch: (files: string[], midWrite: Set<string>) => void,
    private readonly loadedFilesUnder: (folder: string) => string[],
    /** Told when the file watcher itself fails (out of inotify watches, a folder turned unreadable). */
    private readonly onError: (error: unknown) => void,
  ) {
    this.folderEvents = new FolderEvents(root, (kind, relative) => this.seen(kind, relative), onError);
  }

  start(): Promise<void> {
    return this.folderEvents.start();
  }

  /** An OS event naming `relative`: a script's text changed, or a name was created, deleted or moved. */
  private seen(kind: FolderEventKind, relative: string): void {
    if (isIgnoredPath(relative)) return;
    if (isModulePath(relative)) this.scriptChanged(relative);
    // A file's text changing is no news for the folders: only a name created, deleted or moved is.
    if (kind === "rename") this.pathChanged(relative);
  }

  /** Handed over now, or once EMPTY_SETTLE_MS (empty: most likely truncated, its write to come) or GONE_SETTLE_MS (gone: maybe moved away to be written anew) pass without another event. */
  private scriptChanged(relative: string): void {
    clearTimeout(this.emptied.get(relative));
    this.emptied.delete(relative);
    let settleMs = 0;
    try {
      const stats = lstatSync(path.join(this.root, relative));
      if (stats.isFile() && stats.size === 0) settleMs = EMPTY_SETTLE_MS;
    } catch {
      settleMs = GONE_SETTLE_MS; // handed over to be removed, unless it comes back first
    }
    if (settleMs === 0) return this.add([relative], true);
    const timer = setTimeout(() => {
      this.emptied.delete(relative);
      if (!this.closed) this.add([relative], false);
    }, settleMs);
    this.emptied.set(relative, timer);
  }

  /**
   * A name was created, deleted or moved: the scripts loaded under it (a folder replaced by a
   * file of the same name, deleted or moved away) and, when it is a folder now (new, moved in,
   * or a file replaced by a folder of the same name), the scripts in it are changes too; the
   * folder is watched from then on.
   */
  private pathChanged(relative: string): void {
    if (relative === "" || relative.startsWith("..") || isIgnoredPath(relative)) return;
    const full = path.join(this.root, relative);
    void (async () => {
      const under = this.loadedFilesUnder(relative);
      let inside: string[] = [];
      try {
        if ((await lstat(full)).isDirectory()) {
          // Watched anew (a folder deleted and made again may even have the same inode), and
          // before it is listed: a script written meanwhile is in the listing or seen by the watch.
          this.folderEvents.unwatch(relative);
          await this.folderEvents.watchTree(relative);
          inside = (await listScripts(full)).map((file) => `${relative}/${file}`);
        } else {
          this.folderEvents.unwatch(relative);
        }
      } catch {
        // Gone again: what was loaded under it is enough.
        this.folderEvents.unwatch(relative);
      }
      if (!this.closed) this.add([...new Set([...under, ...inside])]);
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
    return this.pending.size > 0 || this.emptied.size > 0 || Date.now() - this.lastChangeAt < BATCH_QUIET_MS;
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
    for (const timer of this.emptied.values()) clearTimeout(timer);
    this.emptied.clear();
    this.folderEvents.close();
  }
}
