import fs from 'node:fs';
import path from 'node:path';
import type { RecentProject } from '../api/types';
import { PROJECT_DB_FILE } from '../store/project-store';
import { writeFileAtomic } from './atomic-write';

const MAX_RECENT = 20;

/** The app-level list of recently opened projects (recent-projects.json in the data folder). */
export class RecentProjects {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'recent-projects.json');
  }

  list(): RecentProject[] {
    return this.read().map((r) => ({ ...r, exists: fs.existsSync(path.join(r.dir, PROJECT_DB_FILE)) }));
  }

  touch(entry: { id: string; name: string; dir: string }): void {
    const rest = this.read().filter((r) => r.dir !== entry.dir && r.id !== entry.id);
    this.write([{ ...entry, lastOpenedAt: new Date().toISOString() }, ...rest].slice(0, MAX_RECENT));
  }

  forget(dir: string): void {
    this.write(this.read().filter((r) => r.dir !== path.resolve(dir)));
  }

  private read(): Omit<RecentProject, 'exists'>[] {
    try {
      const v = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      if (!Array.isArray(v)) return [];
      return v.filter(
        (r): r is Omit<RecentProject, 'exists'> =>
          typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.dir === 'string' && typeof r.name === 'string',
      );
    } catch {
      // missing or unreadable: an empty list (the file is rewritten on the next open)
      return [];
    }
  }

  private write(list: Omit<RecentProject, 'exists'>[]): void {
    writeFileAtomic(this.file, JSON.stringify(list, null, 2));
  }
}
