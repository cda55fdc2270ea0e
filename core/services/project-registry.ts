import path from 'node:path';
import { AppError } from '../api/errors';
import type { ProjectInfo } from '../api/types';
import { ProjectStore } from '../store/project-store';
import type { RecentProjects } from './recent-projects';

/** The projects this process has open, by id. Owned by a composition root. */
export class ProjectRegistry {
  private readonly open = new Map<string, ProjectStore>();

  constructor(private readonly recent: RecentProjects) {}

  create(dir: string, name: string, classes?: { name: string; color?: string }[]): ProjectStore {
    const store = ProjectStore.create(path.resolve(dir), { name, ...(classes ? { classes } : {}) });
    return this.adopt(store);
  }

  openDir(dir: string): ProjectStore {
    const abs = path.resolve(dir);
    for (const s of this.open.values()) if (s.dir === abs) return this.adopt(s);
    return this.adopt(ProjectStore.open(abs));
  }

  get(id: string): ProjectStore {
    const s = this.open.get(id);
    if (!s) throw new AppError('not-found', 'That project is not open. Open it from the start screen first.');
    return s;
  }

  close(id: string): void {
    this.open.get(id)?.close();
    this.open.delete(id);
  }

  closeAll(): void {
    for (const s of this.open.values()) s.close();
    this.open.clear();
  }

  info(store: ProjectStore): ProjectInfo {
    const statusCounts = store.images.statusCounts();
    return {
      id: store.id,
      name: store.record.name,
      dir: store.dir,
      createdAt: store.record.createdAt,
      imageCount: Object.values(statusCounts).reduce((a, b) => a + b, 0),
      statusCounts,
      classes: store.classes.list(),
    };
  }

  private adopt(store: ProjectStore): ProjectStore {
    // a training run whose process was killed stays 'running' in the file until someone opens it
    if (!this.open.has(store.id)) store.models.failInterruptedRuns();
    this.open.set(store.id, store);
    this.recent.touch({ id: store.id, name: store.record.name, dir: store.dir });
    return store;
  }
}
