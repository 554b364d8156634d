import { watch, type FSWatcher } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

/** A change Node's fs.watch reported: "change" (a file's content or attributes), "rename" (created, deleted or moved). */
export type FolderEventKind = "change" | "rename";

/** Folders graft never looks into (as listScripts). */
export function isIgnoredPath(relative: string): boolean {
  return relative !== "" && relative.split("/").some((part) => part.startsWith(".") || part === "node_modules");
}

/**
 * The OS's change notifications for the scripts folder and every folder under it, straight
 * from Node's `fs.watch` (one watch per folder, as the OS gives them: inotify on Linux), each
 * event handed on as it arrives. This is the watcher's latency path: chokidar (ScriptWatcher)
 * still finds new and deleted files and folders and reports each write once it has settled,
 * but between the OS's event and its own it lists the folder again and stats the file, and it
 * watches each file besides its folder, so every event comes twice. A watch started before
 * chokidar's of the same folder is called first for each event (Node calls a folder's
 * listeners in the order they were added).
 */
export class FolderEvents {
  private readonly watches = new Map<string, FSWatcher>();
  private closed = false;

  constructor(
    private readonly root: string,
    /** `relative`: the path the event names, relative to the scripts folder. */
    private readonly onEvent: (kind: FolderEventKind, relative: string) => void,
  ) {}

  /** Watches the scripts folder and every folder under it (not dot-folders, node_modules, or what a symbolic link leads to). */
  start(): Promise<void> {
    return this.watchTree("");
  }

  /** Watches a folder and every folder under it (one created, or moved in, while watching). */
  async watchTree(folder: string): Promise<void> {
    const visit = async (relative: string): Promise<void> => {
      if (this.closed) return;
      this.watch(relative);
      let entries;
      try {
        entries = await readdir(path.join(this.root, relative), { withFileTypes: true });
      } catch {
        return; // gone meanwhile: chokidar reports what happened to it
      }
      for (const entry of entries) {
        const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory() && !isIgnoredPath(child)) await visit(child);
      }
    };
    await visit(folder);
  }

  /** Starts watching one folder. */
  private watch(relative: string): void {
    if (this.closed || this.watches.has(relative) || isIgnoredPath(relative)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(path.join(this.root, relative), { persistent: false }, (kind, name) => {
        if (typeof name !== "string" || name === "") return; // no name given: chokidar's own event covers it
        this.onEvent(kind === "change" ? "change" : "rename", relative === "" ? name : `${relative}/${name}`);
      });
    } catch {
      // Cannot be watched (gone already, out of inotify watches): chokidar watches it too, and
      // reports what fails; this folder's saves then arrive through chokidar's events alone.
      return;
    }
    // A watch that fails later (its folder deleted) is closed; chokidar reports the failure.
    watcher.on("error", () => this.unwatch(relative));
    this.watches.set(relative, watcher);
  }

  /** Stops watching a folder and the folders under it (deleted). */
  unwatch(relative: string): void {
    for (const [folder, watcher] of this.watches) {
      if (folder === relative || relative === "" || folder.startsWith(`${relative}/`)) {
        watcher.close();
        this.watches.delete(folder);
      }
    }
  }

  close(): void {
    this.closed = true;
    this.unwatch("");
  }
}
