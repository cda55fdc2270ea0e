/** datasets.*: export to and import annotations from COCO, VOC, YOLO-seg, LabelMe and mask folders. */
import { randomUUID } from 'node:crypto';
import { AppError } from '../api/errors';
import type { ServiceImpl } from '../api/contract';
import type { Emit } from '../api/events';
import type { DatasetImportPlan } from '../api/types';
import { applyImport, exportDataset, planImport } from '../formats';
import type { ExportOptions, ImportPlan } from '../formats';
import type { ProjectRegistry } from './project-registry';
import { JobRegistry } from './job-registry';

const PLAN_TTL_MS = 30 * 60_000;

export function createDatasetService(registry: ProjectRegistry, emit: Emit, notifyProject: (pid: string) => void, jobs: JobRegistry = new JobRegistry()): ServiceImpl['datasets'] {
  const plans = new Map<string, { projectId: string; plan: ImportPlan; at: number }>();

  return {
    async export(pid, jobId, opts) {
      const store = registry.get(pid);
      if (jobs.isRunning(jobId)) throw new AppError('conflict', 'An export with this job id is already running.');
      const { classRemap, ...rest } = opts;
      const options: ExportOptions = {
        ...rest,
        ...(classRemap ? { classRemap: Object.fromEntries(Object.entries(classRemap).map(([k, v]) => [Number(k), v])) } : {}),
      };
      const { done } = jobs.start(
        'export',
        pid,
        (signal) =>
          exportDataset(store, options, {
            signal,
            onProgress: (p) => emit('datasets.onDidProgress', { jobId, projectId: pid, done: p.done, total: p.total, current: p.current }),
          }),
        jobId,
      );
      const report = await done;
      return { ...report, issues: report.issues };
    },
    cancel(jobId) {
      return jobs.cancel(jobId, 'export');
    },
    async planImport(pid, req) {
      const store = registry.get(pid);
      const plan = await planImport(store, req);
      const now = Date.now();
      for (const [id, p] of plans) if (now - p.at > PLAN_TTL_MS) plans.delete(id);
      const planId = randomUUID();
      plans.set(planId, { projectId: pid, plan, at: now });
      return summarise(planId, plan);
    },
    applyImport(pid, planId, { strict, replaceHumanMasks }) {
      const entry = plans.get(planId);
      if (!entry || entry.projectId !== pid) throw new AppError('not-found', 'That import plan has expired; run the dry run again.');
      const store = registry.get(pid);
      const result = applyImport(store, entry.plan, { ...(strict === undefined ? {} : { strict }), ...(replaceHumanMasks === undefined ? {} : { replaceHumanMasks }) });
      plans.delete(planId);
      notifyProject(pid);
      return result;
    },
  };
}

/** the plan without its label-map blobs (those stay on this side until applied) */
function summarise(planId: string, p: ImportPlan): DatasetImportPlan {
  return {
    planId,
    ok: p.ok,
    format: p.format,
    path: p.path,
    existingMasks: p.existingMasks,
    classes: p.classes.map((c) => ({ sourceName: c.sourceName, targetName: c.targetName, projectClassId: c.projectClassId, instances: c.instances })),
    images: p.images.map((i) => ({ imageId: i.imageId, fileName: i.fileName, instances: i.instances, hasExistingMask: i.hasExistingMask })),
    unmatched: p.unmatched,
    issues: p.issues,
    maskChanges: p.maskChanges,
    ...(p.values ? { values: p.values } : {}),
    totals: p.totals,
  };
}
