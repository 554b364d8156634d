import path from "node:path";
import { ScriptWatcher } from "../runtime/files/watcher.js";
import type { ReloadError, ReloadReport } from "./types.js";

/** The longest a failure is held while changes keep arriving. */
const MAX_ERROR_HOLD_MS = 2000;

/** A failed watcher reload waiting out `errorDelay` before it is reported. */
interface HeldFailure {
  report: ReloadReport;
  /** The files of the batch that failed: a newer reload of any of them replaces the report. */
  files: Set<string>;
  timer: NodeJS.Timeout;
  /** When it was held (a failure is held at most MAX_ERROR_HOLD_MS). */
  since: number;
}

/** What watched reloads need of the runtime, given at construction. */
export interface WatchedReloadsHost {
  root: string;
  debounceMs: number;
  errorDelayMs: number;
  /** Reloads a batch (the engine's reload); `midWrite`: files that may still be being written (one read as empty is left for the event that follows). */
  reload(files: string[], midWrite: Set<string>): Promise<ReloadReport>;
  /** What does not run as it is on disk now. */
  failures(): ReloadError[];
  /** Loaded files under a folder (a deleted folder's files). */
  loadedUnder(folder: string): string[];
  /** Tells the host's listeners about a report. */
  announce(report: ReloadReport): void;
  /** Reports an error no host call waits for. */
  reportUnprompted(error: ReloadError): void;
  isDisposed(): boolean;
}

/**
 * The watcher's reloads (R2): each batch the watcher hands over is reloaded and announced;
 * a failure is held for `errorDelay` (longer while changes are still arriving), so that a
 * save seen half-written, or the first file of a checkout whose imports had not arrived, is
 * replaced by what follows, and what loaded meanwhile is never reported as failing.
 */
export class WatchedReloads {
  private readonly watcher: ScriptWatcher;
  private held: HeldFailure | undefined;
  /** Watcher reloads under way (a held failure is not reported while one may still replace it). */
  private inFlight = 0;
  /** Files whose failure was replaced before it was reported: their undoing is no news either. */
  private readonly unreported = new Set<string>();
  /**
   * Batches handed over while a watcher reload is under way, merged into the next one (true
   * while a file was seen only mid-write): a save's several OS events make one reload after
   * the one under way, not one each.
   */
  private readonly queued = new Map<string, boolean>();
  private draining = false;

  constructor(private readonly host: WatchedReloadsHost) {
    this.watcher = new ScriptWatcher(
      host.root,
      host.debounceMs,
      (files, midWrite) => this.handOver(files, midWrite),
      (folder) => host.loadedUnder(folder),
      (error) => this.reportFailure("watcher", error, []),
    );
  }

  start(): Promise<void> {
    return this.watcher.start();
  }

  /** No failure held, no reload under way, no batch gathering. */
  get settled(): boolean {
    return this.held === undefined && this.inFlight === 0 && this.queued.size === 0 && !this.watcher.gathering;
  }

  /** An undone edit whose failure nobody saw is no news: drops it from a report about to be announced. */
  dropUnseen(report: ReloadReport): void {
    if (this.unreported.size === 0) return;
    const quiet = report.recovered.filter((file) => this.unreported.has(file));
    report.recovered = report.recovered.filter((file) => !this.unreported.has(file));
    for (const file of [...report.files, ...report.removed, ...quiet, ...report.errors.map((error) => error.file)]) this.unreported.delete(file);
  }

  close(): Promise<void> {
    if (this.held) clearTimeout(this.held.timer);
    this.held = undefined;
    this.queued.clear();
    return this.watcher.close();
  }

  private handOver(files: string[], midWrite: Set<string>): void {
    for (const file of files) this.queued.set(file, midWrite.has(file) && this.queued.get(file) !== false);
    if (!this.draining) void this.drain();
  }

  /** Reloads what was handed over, one batch at a time, until nothing is left. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queued.size > 0) {
        const files = [...this.queued.keys()].sort();
        const midWrite = new Set(files.filter((file) => this.queued.get(file)));
        this.queued.clear();
        await this.reloadWatched(files, midWrite).catch((error: unknown) => this.reportFailure("reload", error, files));
      }
    } finally {
      this.draining = false;
    }
  }

  private async reloadWatched(files: string[], midWrite: Set<string>): Promise<void> {
    if (this.host.isDisposed()) return;
    this.inFlight++;
    let report: ReloadReport;
    try {
      report = await this.host.reload(files, midWrite);
    } finally {
      this.inFlight--;
    }
    if (this.host.isDisposed()) return;
    const held = this.held;
    if (held && files.some((file) => held.files.has(file))) {
      clearTimeout(held.timer);
      this.held = undefined;
      for (const error of held.report.errors) this.unreported.add(error.file);
    }
    if (report.errors.length === 0 || this.host.errorDelayMs === 0) {
      this.host.announce(report);
      return;
    }
    if (this.held) this.release(); // an unrelated failure waiting: report it now
    this.held = { report, files: new Set(files), timer: this.holdTimer(), since: Date.now() };
  }

  private holdTimer(): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const held = this.held;
      // A burst of changes still arriving (a checkout), or a reload of it under way, may yet fix it: wait on.
      if (held && (this.watcher.gathering || this.inFlight > 0) && Date.now() - held.since < MAX_ERROR_HOLD_MS) {
        held.timer = this.holdTimer();
        return;
      }
      this.release();
    }, this.host.errorDelayMs);
    timer.unref();
    return timer;
  }

  /**
   * Reports a held failure, without what has been fixed since: a file that failed only
   * because the rest of its checkout had not arrived, and loaded when it did, is no news.
   */
  private release(): void {
    const held = this.held;
    if (!held) return;
    clearTimeout(held.timer);
    this.held = undefined;
    if (this.host.isDisposed()) return;
    const failing = new Map(this.host.failures().map((error) => [error.file, error.message]));
    const { report } = held;
    for (const error of report.errors) if (failing.get(error.file) !== error.message) this.unreported.add(error.file);
    report.errors = report.errors.filter((error) => failing.get(error.file) === error.message);
    report.ok = report.errors.length === 0;
    this.host.announce(report);
  }

  /** The watcher failing, or a reload it started failing as a whole (not a script's error). */
  private reportFailure(origin: "watcher" | "reload", error: unknown, files: string[]): void {
    if (this.host.isDisposed()) return;
    const reason = error instanceof Error ? error.message : String(error);
    if (origin === "watcher") {
      const where = typeof (error as { path?: unknown })?.path === "string" ? path.relative(this.host.root, (error as { path: string }).path) : "";
      const message = `watching ${this.host.root} failed: ${reason}`;
      this.host.reportUnprompted({ file: where, message, text: `${message}; saves ${where ? `in ${where} ` : ""}no longer reload on their own (the watch is not retried): call runtime.reload() after a save, or create the runtime again`, origin });
    } else {
      const message = `reloading ${files.join(", ")} after a save failed: ${reason}`;
      this.host.reportUnprompted({ file: files[0] ?? "", message, text: message, origin });
    }
  }
}
