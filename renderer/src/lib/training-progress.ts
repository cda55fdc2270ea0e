/**
 * How far a training run is, in the terms that end it: a time-budgeted run reads "2 min 10 s left"
 * (its step count means little: the budget, not a step limit, ends it); a run that a step limit
 * ends reads "step 840/2000". Pure; the training panel and its tests share it.
 */
import { formatDuration } from './format';

export interface ProgressInput {
  step: number;
  maxSteps: number;
  /** training time so far (validation excluded, as the budget counts it) */
  elapsedMs: number;
  timeBudgetMs?: number;
}

export interface ProgressView {
  /** 0..1: whichever limit is closer */
  fraction: number;
  /** which limit will end the run */
  limitedBy: 'time' | 'steps';
  /** estimated training time left (null until there is progress to go on) */
  leftMs: number | null;
  /** e.g. "42% · 2 min 10 s left" or "42% · step 840/2000 · 1 min left" */
  text: string;
  /** the step count, for a title / detail ("step 18") */
  detail: string;
}

export function progressView(p: ProgressInput): ProgressView {
  const bySteps = p.maxSteps > 0 ? p.step / p.maxSteps : 0;
  const byTime = p.timeBudgetMs ? p.elapsedMs / p.timeBudgetMs : 0;
  const fraction = Math.min(1, Math.max(bySteps, byTime));
  const limitedBy = p.timeBudgetMs && byTime >= bySteps ? 'time' : 'steps';
  let leftMs: number | null = null;
  if (fraction > 0.001 && p.elapsedMs > 0) {
    const byRate = p.elapsedMs / fraction - p.elapsedMs;
    const byBudget = p.timeBudgetMs ? p.timeBudgetMs - p.elapsedMs : Infinity;
    leftMs = Math.max(0, Math.min(byRate, byBudget));
  }
  const pct = `${Math.round(fraction * 100)}%`;
  const left = leftMs == null ? 'estimating time left…' : `${formatDuration(leftMs)} left`;
  const text = limitedBy === 'time' ? `${pct} · ${left}` : `${pct} · step ${p.step}/${p.maxSteps}${leftMs == null ? '' : ` · ${left}`}`;
  return { fraction, limitedBy, leftMs, text, detail: `step ${p.step}` };
}
