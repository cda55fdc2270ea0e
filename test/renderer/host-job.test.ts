/**
 * HostJob (through ImportJob): start -> running -> finished from events, a finish that arrives
 * before start() answers, adoption of a job started elsewhere, late events ignored, failures,
 * cancel, and resync() after a reconnect when the finish event was lost. No timers: nothing polls.
 */
import { describe, expect, it } from 'vitest';
import type { MaskwrightClient } from '../../core/api/client';
import type { ImportProgress, ImportReport } from '../../core/api/types';
import { ImportJob } from '../../renderer/src/lib/state/import-job.svelte';

type Handler = (e: unknown) => void;

/** the slice of the client ImportJob uses, with events we fire by hand */
function fakeClient() {
  const handlers = new Map<string, Set<Handler>>();
  const reports = new Map<string, ImportReport>();
  const calls: string[] = [];
  let nextStart: () => Promise<{ jobId: string }> = async () => ({ jobId: 'j1' });
  const client = {
    on(name: string, cb: Handler) {
      const set = handlers.get(name) ?? new Set();
      set.add(cb);
      handlers.set(name, set);
      return () => set.delete(cb);
    },
    imports: {
      start: (pid: string) => {
        calls.push(`start ${pid}`);
        return nextStart();
      },
      cancel: async (jobId: string) => {
        calls.push(`cancel ${jobId}`);
        return true;
      },
      report: async (jobId: string) => reports.get(jobId) ?? null,
    },
  };
  return {
    client: client as unknown as MaskwrightClient,
    calls,
    reports,
    fire: (name: string, e: unknown) => handlers.get(name)?.forEach((cb) => cb(e)),
    listeners: () => [...handlers.values()].reduce((n, s) => n + s.size, 0),
    setStart: (f: () => Promise<{ jobId: string }>) => (nextStart = f),
  };
}

const progress = (jobId: string, done: number, projectId = 'p'): ImportProgress => ({ projectId, jobId, done, total: 10, imported: done, skipped: 0, failed: 0 }) as unknown as ImportProgress;
const report = (jobId: string, over: Partial<ImportReport> = {}, projectId = 'p'): ImportReport => ({ projectId, jobId, imported: 10, skipped: 0, failed: [], cancelled: false, ...over }) as unknown as ImportReport;

describe('HostJob (ImportJob)', () => {
  it('runs idle -> starting -> running -> finished on its own events, ignoring other projects and late events', async () => {
    const f = fakeClient();
    const finished: string[] = [];
    const job = new ImportJob(f.client, 'p', { onfinish: (r) => finished.push(r.jobId) });
    const off = job.connect();
    expect(job.phase).toBe('idle');
    const started = job.start({ paths: ['/x'] } as never);
    expect(job.phase).toBe('starting');
    await started;
    expect(job.phase).toBe('running');
    expect(job.jobId).toBe('j1');
    f.fire('imports.onDidProgress', progress('j1', 3, 'other-project'));
    expect(job.progress).toBeNull();
    f.fire('imports.onDidProgress', progress('j1', 3));
    expect(job.progress).toMatchObject({ done: 3 });
    f.fire('imports.onDidFinish', report('j1'));
    expect(job.phase).toBe('finished');
    expect(job.report).toMatchObject({ imported: 10 });
    f.fire('imports.onDidFinish', report('j1', { imported: 99 }));
    f.fire('imports.onDidProgress', progress('j1', 9));
    expect(job.report).toMatchObject({ imported: 10 });
    expect(job.progress).toMatchObject({ done: 3 });
    expect(finished).toEqual(['j1']);
    await expect(job.start({} as never)).resolves.toBeUndefined();
    off();
    expect(f.listeners()).toBe(0);
  });

  it('keeps a finish that arrives before start() answers, and refuses a second start while running', async () => {
    const f = fakeClient();
    let answer!: (v: { jobId: string }) => void;
    f.setStart(() => new Promise((r) => (answer = r)));
    const job = new ImportJob(f.client, 'p');
    job.connect();
    const started = job.start({} as never);
    f.fire('imports.onDidFinish', report('j7'));
    expect(job.phase).toBe('starting');
    answer({ jobId: 'j7' });
    await started;
    expect(job.phase).toBe('finished');

    f.setStart(async () => ({ jobId: 'j8' }));
    job.reset();
    await job.start({} as never);
    await expect(job.start({} as never)).rejects.toThrow(/already running/);
  });

  it('adopts a job started in another window from its progress, and reports a failed start', async () => {
    const f = fakeClient();
    const job = new ImportJob(f.client, 'p');
    job.connect();
    f.fire('imports.onDidProgress', progress('elsewhere', 1));
    expect(job.phase).toBe('running');
    expect(job.jobId).toBe('elsewhere');
    f.fire('imports.onDidFinish', report('elsewhere'));
    expect(job.phase).toBe('finished');

    f.setStart(async () => {
      throw Object.assign(new Error('The folder does not exist.'), { code: 'not-found' });
    });
    job.reset();
    await job.start({} as never);
    expect(job.phase).toBe('failed');
    expect(job.error?.message).toMatch(/does not exist/);
  });

  it('resync() ends a job whose finish event was lost; cancel asks the host and resyncs once', async () => {
    const f = fakeClient();
    const job = new ImportJob(f.client, 'p');
    job.connect();
    await job.start({} as never);
    await job.resync();
    expect(job.phase).toBe('running'); // the host says it still runs
    f.reports.set('j1', report('j1', { imported: 4 }));
    await job.resync();
    expect(job.phase).toBe('finished');
    expect(job.report).toMatchObject({ imported: 4 });

    f.setStart(async () => ({ jobId: 'j2' }));
    job.reset();
    await job.start({} as never);
    f.reports.set('j2', report('j2', { cancelled: true }));
    await job.cancel();
    await new Promise((r) => setTimeout(r, 0));
    expect(f.calls).toContain('cancel j2');
    expect(job.phase).toBe('finished');
    expect(job.cancelling).toBe(false);
  });

  it('adopt() follows a running job of its own kind and project from jobs.list, and ends it if it finished meanwhile', async () => {
    const f = fakeClient();
    const job = new ImportJob(f.client, 'p');
    job.connect();
    const startedAt = new Date(Date.now() - 5000).toISOString();
    job.adopt([
      { jobId: 'x', kind: 'prelabel', projectId: 'p', startedAt },
      { jobId: 'y', kind: 'import', projectId: 'other', startedAt },
    ]);
    expect(job.phase).toBe('idle'); // neither is ours
    job.adopt([{ jobId: 'z', kind: 'import', projectId: 'p', startedAt }]);
    expect(job.phase).toBe('running');
    expect(job.jobId).toBe('z');
    expect(job['elapsedMs']).toBeGreaterThanOrEqual(4000); // counted from the host's start, not from the adoption
    f.fire('imports.onDidProgress', progress('z', 3));
    expect(job.progress?.done).toBe(3);
    // a running job is not replaced by another listed one
    job.adopt([{ jobId: 'w', kind: 'import', projectId: 'p', startedAt }]);
    expect(job.jobId).toBe('z');
    f.fire('imports.onDidFinish', report('z'));
    expect(job.phase).toBe('finished');

    // listed as running, but it ended before adopt() asked: the resync ends it
    const g = fakeClient();
    const late = new ImportJob(g.client, 'p');
    late.connect();
    g.reports.set('q', report('q', { imported: 2 }));
    late.adopt([{ jobId: 'q', kind: 'import', projectId: 'p', startedAt }]);
    await new Promise((r) => setTimeout(r, 0));
    expect(late.phase).toBe('finished');
    expect(late.report).toMatchObject({ imported: 2 });
  });
});
