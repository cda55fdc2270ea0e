/**
 * Transport-independent call dispatch: both the Electron IPC binding and the
 * browser-mode HTTP host go through `dispatch`, so every argument of every call
 * is validated in one place.
 */
import { AppError } from './errors';
import type { ServiceImpl } from './contract';
import { contract } from './contract';

export interface Call {
  service: string;
  method: string;
  args: unknown;
}

export function parseCall(service: string, method: string, args: unknown): unknown[] {
  const svc = Object.prototype.hasOwnProperty.call(contract, service)
    ? (contract as Record<string, Record<string, { args: { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } } } }>>)[service]
    : undefined;
  const spec = svc && Object.prototype.hasOwnProperty.call(svc, method) ? svc[method] : undefined;
  if (!spec) throw new AppError('not-found', `Unknown call ${service}.${method}`);
  if (!Array.isArray(args)) throw new AppError('invalid-argument', `${service}.${method}: arguments must be an array`);
  const parsed = spec.args.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error?.issues[0];
    const where = issue && issue.path.length ? ` (argument ${issue.path.map(String).join('.')})` : '';
    throw new AppError('invalid-argument', `${service}.${method}: ${issue?.message ?? 'invalid arguments'}${where}`);
  }
  return parsed.data as unknown[];
}

export async function dispatch(impl: ServiceImpl, service: string, method: string, args: unknown): Promise<unknown> {
  const parsed = parseCall(service, method, args);
  const fn = (impl as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[service]?.[method];
  if (typeof fn !== 'function') throw new AppError('not-available', `${service}.${method} is not available here`);
  try {
    return await fn.apply((impl as unknown as Record<string, object>)[service], parsed);
  } catch (err) {
    throw AppError.from(err);
  }
}
