import { lstatSync, statSync, watch, type FSWatcher } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

/** A change Node's fs.watch reported: "change" (a file's content or attributes), "rename" (a name created, deleted or moved). */
export type FolderEventKind = "change" | "rename";

/** Paths graft never looks into: dot-files and dot-folders, node_modules (as listScripts). */
export function isIgnoredPath(relative: string): boolean {
  return relative !== "" && relative.split("/").some((part) => part.startsWith(".") || part === "node_modules");
}

interface FolderWatch {
  watcher: FSWatcher;
  /** The watched folder's inode: a folder deleted and made again under the same name is another folder to watch. */
  inode: number;
}

/**
 * The OS's change notifications for the scripts folder and every folder under it, straight
 * from Node's `fs.watch` (one watch per folder: inotify on Linux), each event handed on as it
 * arrives. What the events mean (a save, a new or deleted file or folder) is ScriptWatcher's
 * business; a folder created, moved in or deleted is watched or unwatched when it finds so
 * (`watchTree`, `unwatch`).
 */
export class FolderEvents {
  private readonly watches = new Map<string, FolderWatch>();
  private closed = false;
  /** The OS's limit of watches was met and reported (outOfWatches). */
  private limitReported = false;

  constructor(
    private readonly root: string,
    /** `relative`: the path the event names, relative to the scripts folder. */
    private readonly onEvent: (kind: FolderEventKind, relative: string) => void,
    /** A folder that cannot be watched (out of inotify watches, unreadable), or a watch that failed. */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Watches the scripts folder and every folder under it. */
  start(): Promise<void> {
    return this.watchTree("");
  }

  /**
   * Watches a folder and every folder under it (not dot-folders, node_modules, or what a
   * symbolic link leads to).
   */
  async watchTree(folder: string): Promise<void> {
    const visit = async (relative: string): Promise<void> => {
      if (this.closed || !this.watch(relative)) return;
      let entries;
      try {
        entries = await readdir(path.join(this.root, relative), { withFileTypes: true });
      } catch {
        return; // gone meanwhile: its parent's event says so
      }
      for (const entry of entries) {
        const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory() && !isIgnoredPath(child)) await visit(child);
      }
    };
    await visit(folder);
  }

  /** Starts watching one folder, unless it is watched already; false if it is not there (any more). */
  private watch(relative: string): boolean {
    if (isIgnoredPath(relative)) return false;
    const full = path.join(this.root, relative);
    let inode: number;
    try {
      // The scripts folder the host named may be a symbolic link to one; nothing under it is followed.
      const stats = relative === "" ? statSync(full) : lstatSync(full);
      if (!stats.isDirectory()) return false;
      inode = stats.ino;
    } catch {
      return false;
    }
    const known = this.watches.get(relative);
    if (known?.inode === inode) return true;
    if (known) this.stop(relative);
    let watcher: FSWatcher;
    try {
      watcher = watch(full, (kind, name) => {
        if (typeof name !== "string" || name === "") return;
        if (relative === "" && kind === "rename" && name === path.basename(this.root) && this.rootGone(inode)) return;
        this.onEvent(kind === "change" ? "change" : "rename", relative === "" ? name : `${relative}/${name}`);
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOSPC") this.outOfWatches(relative, full);
      else if (code !== "ENOENT" && code !== "ENOTDIR") this.onError(error);
      return false;
    }
    watcher.on("error", (error) => {
      this.stop(relative);
      this.onError(error);
    });
    this.watches.set(relative, { watcher, inode });
    return true;
  }

  /**
   * The OS refused a watch (Linux: out of inotify watches). Every later folder meets the same
   * limit: reported once, with what to do, not once per folder.
   */
  private outOfWatches(relative: string, full: string): void {
    if (this.limitReported) return;
    this.limitReported = true;
    const folder = relative === "" ? "the scripts folder" : relative;
    const message =
      `the system's limit of file watches is reached (ENOSPC): ${folder} and the folders found after it are not watched; ` +
      "raise the limit (on Linux: sysctl fs.inotify.max_user_watches=524288) and create the runtime again";
    this.onError(Object.assign(new Error(message), { code: "ENOSPC", path: full }));
  }

  /**
   * Whether the scripts folder itself is gone: deleted, or moved away (Node names the
   * watched folder itself in such an event, as a child of that name would be). Its watch
   * sees nothing from then on (a folder made again under its name is another one), so every
   * watch stops and the watcher is reported failing, not silent.
   */
  private rootGone(inode: number): boolean {
    try {
      if (statSync(this.root).ino === inode) return false;
    } catch {
      // gone
    }
    this.unwatch("");
    this.onError(Object.assign(new Error("the scripts folder was deleted or moved away, and watching it ended (a runtime made anew watches a folder made again there)"), { code: "ENOENT", path: this.root }));
    return true;
  }

  /** Stops watching a folder and the folders under it (deleted, moved away, or replaced by a file). */
  unwatch(relative: string): void {
    for (const folder of this.watches.keys()) {
      if (folder === relative || relative === "" || folder.startsWith(`${relative}/`)) this.stop(folder);
    }
  }

  private stop(relative: string): void {
    this.watches.get(relative)?.watcher.close();
    this.watches.delete(relative);
  }

  close(): void {
    this.closed = true;
    this.unwatch("");
  }
}
