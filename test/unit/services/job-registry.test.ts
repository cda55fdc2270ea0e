import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { EventHub } from '../../../core/api/events';
import { createServices, type AppServices } from '../../../core/services/create-services';
import { JobRegistry } from '../../../core/services/job-registry';

/** a job that runs until released or aborted */
function gate<T>() {
  let release!: (v: T) => void;
  let fail!: (e: Error) => void;
  const p = new Promise<T>((res, rej) => {
    release = res;
    fail = rej;
  });
  return { p, release, fail };
}

describe('JobRegistry', () => {
  it('lists running jobs per project, cancels only the kind asked for, keeps results after the finish', async () => {
    const jobs = new JobRegistry();
    const a = gate<string>();
    let aborted = false;
    const ja = jobs.start('import', 'p1', (signal) => {
      signal.addEventListener('abort', () => {
        aborted = true;
        a.fail(new AppError('cancelled', 'stopped'));
      });
      return a.p;
    });
    const b = gate<number>();
    const jb = jobs.start('export', 'p2', () => b.p, 'chosen-id');
    expect(jb.jobId).toBe('chosen-id');
    expect(jobs.list('p1').map((j) => [j.kind, j.projectId])).toEqual([['import', 'p1']]);
    expect(jobs.list().map((j) => j.jobId)).toEqual([ja.jobId, 'chosen-id']);
    // an id in use is refused; cancelling with the wrong kind does nothing
    expect(() => jobs.start('export', 'p2', () => Promise.resolve(1), 'chosen-id')).toThrow(/already exists/);
    expect(jobs.cancel(ja.jobId, 'training')).toBe(false);
    expect(aborted).toBe(false);
    expect(jobs.result(jb.jobId, 'export')).toBeUndefined(); // still running

    b.release(42);
    await jobs.wait(jb.jobId);
    expect(jobs.result<number>(jb.jobId, 'export')).toBe(42);
    expect(jobs.isRunning(jb.jobId)).toBe(false);
    expect(jobs.cancel(jb.jobId)).toBe(false); // finished
    expect(() => jobs.result(jb.jobId, 'import')).toThrow(/No such import job/);

    expect(jobs.cancel(ja.jobId, 'import')).toBe(true);
    await expect(ja.done).rejects.toThrow('stopped');
    await jobs.wait(ja.jobId); // never rejects
    expect(() => jobs.result(ja.jobId, 'import')).toThrow('stopped');
    expect(jobs.list()).toEqual([]);
    expect(() => jobs.result('never-started', 'import')).toThrow(/No such import job/);
  });

  it('a run that throws synchronously becomes a failed job, and cancelAll stops one project only', async () => {
    const jobs = new JobRegistry();
    const bad = jobs.start('training', 'p', () => {
      throw new Error('boom');
    });
    await expect(bad.done).rejects.toThrow('boom');
    await jobs.wait(bad.jobId);
    expect(jobs.list()).toEqual([]);

    const stopped: string[] = [];
    const run = (name: string) => (signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => {
          stopped.push(name);
          resolve();
        });
      });
    const x = jobs.start('prelabel', 'p1', run('x'));
    const y = jobs.start('prelabel', 'p2', run('y'));
    jobs.cancelAll('p1');
    await x.done;
    expect(stopped).toEqual(['x']);
    expect(jobs.list().map((j) => j.jobId)).toEqual([y.jobId]);
    jobs.cancelAll();
    await y.done;
    expect(stopped).toEqual(['x', 'y']);
  });
});

describe('jobs.list through the services', () => {
  let tmp: string;
  let svc: AppServices | undefined;
  afterEach(() => {
    svc?.dispose();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows a running import of the project (to adopt after a reload) and nothing once it has finished', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-jobs-'));
    const imgDir = path.join(tmp, 'images');
    fs.mkdirSync(imgDir);
    for (let i = 0; i < 6; i++) {
      await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 40 * i, g: 90, b: 200 - 30 * i } } })
        .png()
        .toFile(path.join(imgDir, `img-${i}.png`));
    }
    const hub = new EventHub();
    svc = createServices({ dataDir: path.join(tmp, 'data'), mode: 'cli', version: 'test', emit: hub.emit });
    const project = await svc.impl.projects.create({ dir: path.join(tmp, 'project'), name: 'jobs' });
    const other = await svc.impl.projects.create({ dir: path.join(tmp, 'other'), name: 'other' });
    const { jobId } = await svc.impl.imports.start(project.id, { paths: [imgDir] });
    const listed = await svc.impl.jobs.list(project.id);
    expect(listed).toEqual([{ jobId, kind: 'import', projectId: project.id, startedAt: expect.any(String) as string }]);
    expect(await svc.impl.jobs.list(other.id)).toEqual([]);
    // an import's id does not cancel as another kind of job
    expect(await svc.impl.training.cancel(jobId)).toBe(false);
    expect(await svc.impl.imports.report(jobId)).toBeNull();
    const report = await svc.waitForImport(jobId);
    expect(report.imported).toBe(6);
    expect(await svc.impl.jobs.list(project.id)).toEqual([]);
    expect((await svc.impl.imports.report(jobId))?.imported).toBe(6);
    await expect(svc.waitForImport('00000000-0000-4000-8000-000000000000')).rejects.toThrow(/No such import job/);
  });
});
