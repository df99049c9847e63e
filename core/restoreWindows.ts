// Cuts the files a restore's walk finds into windows of bounded size, so a restore of millions of
// files holds only a few windows' plans at a time. A window starts writing as soon as it is cut,
// alongside the one before it (so the decoder threads are not left idle at a window's tail), and
// the walk fills the next; at most two windows write at once. Each window is finished (hard links
// made, directory metadata set) in order, after the ones before it: then every file the walk met
// before it was cut is written, and the directories the walk had left by then can get their final
// metadata (they are left deepest first).

import { handled } from './concurrently.js';
import { DamagedFile, FileToWrite } from './contentWriter.js';
import { WalkedDir } from './restoreWalk.js';
import { PathBytes } from './fileNames.js';
import { TreeNode } from './tree.js';

/** A file restored as a hard link to the first file of its group restored. */
export interface LinkToMake {
  abs: PathBytes;
  rel: string;
  first: { abs: PathBytes; rel: string };
  node: TreeNode;
}

export interface RestoreWindow {
  files: FileToWrite[];
  links: LinkToMake[];
  /** Directories whose every entry is in this window or an earlier one, deepest first. */
  dirsDone: WalkedDir[];
}

export interface WindowWriter {
  /** Writes the window's files' contents; returns those damaged (and not left in the target). */
  writeFiles(files: FileToWrite[]): Promise<DamagedFile[]>;
  /** Once the window and all before it are written: hard links, damage reports, directory metadata. */
  finish(window: RestoreWindow, damaged: DamagedFile[]): void;
}

/** Files in one window by default: a plan of ~1 KiB per file, written with the packs they need read once. */
const WINDOW_FILES = 16 * 1024;
/** Blob references in one window, for windows of large files. */
const WINDOW_BLOBS = 128 * 1024;

export class RestoreWindows {
  private window: RestoreWindow = emptyWindow();
  private blobs = 0;
  /** The last window cut, finished, and the one before it. */
  private last: Promise<void> = Promise.resolve();
  private beforeLast: Promise<void> = Promise.resolve();
  /** What may still run: the last window's write, its finish and the finish before it (which waits for the write before). */
  private inFlight: Promise<unknown>[] = [];

  constructor(
    private readonly writer: WindowWriter,
    private readonly maxFiles = WINDOW_FILES,
  ) {}

  /** Adds a file; a full window is cut, once the window two before it is finished. */
  async addFile(file: FileToWrite): Promise<void> {
    this.window.files.push(file);
    this.blobs += file.node.content?.length ?? 0;
    if (this.window.files.length >= this.maxFiles || this.blobs >= WINDOW_BLOBS) await this.cut();
  }

  addLink(link: LinkToMake): void {
    this.window.links.push(link);
  }

  dirDone(dir: WalkedDir): void {
    this.window.dirsDone.push(dir);
  }

  /** Writes what is left and waits for every window to be finished. */
  async finish(): Promise<void> {
    await this.cut();
    await this.settle();
    await this.last;
  }

  /** Waits until no window is being written or finished, whatever their outcome. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }

  private async cut(): Promise<void> {
    const window = this.window;
    this.window = emptyWindow();
    this.blobs = 0;
    await this.beforeLast;
    const written = handled(this.writer.writeFiles(window.files));
    const previous = this.last;
    this.beforeLast = previous;
    this.last = handled(Promise.all([previous, written]).then(([, damaged]) => this.writer.finish(window, damaged)));
    this.inFlight = [previous, written, this.last];
  }
}

const emptyWindow = (): RestoreWindow => ({ files: [], links: [], dirsDone: [] });
