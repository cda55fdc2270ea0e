/**
 * App-level state: host info, recent projects, the open project and the
 * event connection. Methods throw AppError; forms show the message inline.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { AppInfo, ProjectInfo, RecentProject } from '../../../../core/api/types';
import type { ConnectionState, RendererTransport } from '../api/connection';

const SESSION_KEY = 'maskwright.session';

export interface NewProjectInput {
  name: string;
  dir: string;
  classNames: string[];
}

/** an open request for browser mode's folder/file picker (components/FileBrowser.svelte) */
export interface PickRequest {
  title: string;
  /** 'dir' (default) or a file */
  kind?: 'dir' | 'file';
  /** files: only these extensions (lower case, no dot) */
  extensions?: string[];
  /** folders: offer a new folder name inside the one shown (not created: the caller does) */
  allowNew?: boolean;
  startDir?: string;
  resolve: (path: string | null) => void;
}

export type PickOptions = Omit<PickRequest, 'title' | 'resolve'>;

export class AppState {
  readonly client: MaskwrightClient;
  readonly transport: RendererTransport;

  #info = $state.raw<AppInfo | null>(null);
  #infoError = $state.raw<AppError | null>(null);
  #recent = $state.raw<RecentProject[]>([]);
  #recentLoaded = $state(false);
  #project = $state.raw<ProjectInfo | null>(null);
  #connection = $state<ConnectionState>('connecting');
  /** bumped on every reconnect: events may have been missed, so screens re-fetch */
  #resyncs = $state(0);
  /** bumped when the start screen should focus its "Open project" field */
  #openRequests = $state(0);
  #restoring = $state(true);
  #unsubscribe: (() => void)[] = [];
  #pick = $state.raw<PickRequest | null>(null);

  constructor(client: MaskwrightClient, transport: RendererTransport) {
    this.client = client;
    this.transport = transport;
  }

  get info(): AppInfo | null {
    return this.#info;
  }
  get infoError(): AppError | null {
    return this.#infoError;
  }
  /** a folder can be picked: the native dialog (Electron) or the in-page browser (browser mode) */
  get canPickDirectory(): boolean {
    return (this.#info?.canPickDirectory ?? false) || (this.#info?.canBrowseFiles ?? false);
  }
  /** the in-page picker's open request (App.svelte shows FileBrowser for it) */
  get pickRequest(): PickRequest | null {
    return this.#pick;
  }
  get recent(): RecentProject[] {
    return this.#recent;
  }
  get recentLoaded(): boolean {
    return this.#recentLoaded;
  }
  get project(): ProjectInfo | null {
    return this.#project;
  }
  get connection(): ConnectionState {
    return this.#connection;
  }
  get resyncs(): number {
    return this.#resyncs;
  }
  get openRequests(): number {
    return this.#openRequests;
  }
  /** true while a project from the last session is being reopened */
  get restoring(): boolean {
    return this.#restoring;
  }

  async init(): Promise<void> {
    this.#unsubscribe.push(
      this.transport.onConnectionChange((state, reconnected) => {
        this.#connection = state;
        if (reconnected) {
          this.#resyncs++;
          void this.refreshProject();
        }
      }),
      this.client.on('projects.onDidChange', (p) => {
        if (this.#project && p.id === this.#project.id) this.#project = p;
      }),
    );
    try {
      this.#info = await this.client.app.info();
    } catch (err) {
      this.#infoError = AppError.from(err);
    }
    await this.refreshRecent();
    const dir = this.#sessionProjectDir();
    if (dir) {
      try {
        await this.open(dir);
      } catch {
        this.#saveSession(null);
      }
    }
    this.#restoring = false;
  }

  dispose(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  async refreshRecent(): Promise<void> {
    try {
      this.#recent = await this.client.projects.listRecent();
    } catch {
      this.#recent = [];
    } finally {
      this.#recentLoaded = true;
    }
  }

  async refreshProject(): Promise<void> {
    const p = this.#project;
    if (!p) return;
    try {
      const fresh = await this.client.projects.get(p.id);
      if (this.#project?.id === fresh.id) this.#project = fresh;
    } catch {
      /* shown again on the next change event */
    }
  }

  async create(input: NewProjectInput): Promise<ProjectInfo> {
    const classes = input.classNames.map((name) => ({ name }));
    const p = await this.client.projects.create({
      dir: input.dir,
      name: input.name,
      ...(classes.length ? { classes } : {}),
    });
    this.#setProject(p);
    return p;
  }

  async open(dir: string): Promise<ProjectInfo> {
    const p = await this.client.projects.open({ dir });
    this.#setProject(p);
    return p;
  }

  /** Back to the start screen (and focus its Open field when `focusOpen`). */
  async close(focusOpen = false): Promise<void> {
    const p = this.#project;
    this.#project = null;
    this.#saveSession(null);
    if (focusOpen) this.#openRequests++;
    if (p) {
      try {
        await this.client.projects.close(p.id);
      } catch {
        /* closing is best effort */
      }
    }
    await this.refreshRecent();
  }

  async forget(dir: string): Promise<void> {
    await this.client.projects.forgetRecent(dir);
    this.#recent = this.#recent.filter((r) => r.dir !== dir);
  }

  /**
   * One way to choose a folder (or a file) for every screen: Electron's native dialog, or in
   * browser mode the host-served browser (FileBrowser). Null when cancelled or unavailable.
   */
  async pickDirectory(title: string, opts: PickOptions = {}): Promise<string | null> {
    if (this.#info?.canPickDirectory && opts.kind !== 'file') return this.client.app.pickDirectory({ title });
    if (!this.#info?.canBrowseFiles) return null;
    this.#pick?.resolve(null);
    return new Promise((resolve) => {
      this.#pick = { title, ...opts, resolve };
    });
  }

  /** the in-page picker's answer */
  resolvePick(path: string | null): void {
    const r = this.#pick;
    this.#pick = null;
    r?.resolve(path);
  }

  #setProject(p: ProjectInfo): void {
    this.#project = p;
    this.#saveSession(p.dir);
  }

  #sessionProjectDir(): string | null {
    try {
      const raw = sessionStorage.getItem(SESSION_KEY);
      const v = raw ? (JSON.parse(raw) as { projectDir?: unknown }) : null;
      return typeof v?.projectDir === 'string' ? v.projectDir : null;
    } catch {
      return null;
    }
  }

  #saveSession(projectDir: string | null): void {
    try {
      if (projectDir) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ projectDir }));
      else sessionStorage.removeItem(SESSION_KEY);
    } catch {
      /* best effort */
    }
  }
}
