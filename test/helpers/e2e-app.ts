/**
 * The setup the browser-mode e2e tests share: a temp folder with the HTTP host serving the built
 * renderer from it, a 1440x900 page in Debian Chromium that collects the page's errors, a
 * "Nuclei" project of synthetic microscopy images (test/fixtures/make-synthetic-photos.ts, made in
 * the test: no ../shared/datasets needed) imported through the services, and a typed call to the
 * host's HTTP API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ProjectInfo } from '../../core/api/types';
import { fromWireJson, toWireJson } from '../../core/api/wire';
import { serve } from '../../core/host/serve';
import type { RunningServer } from '../../core/host/serve';
import { makeSyntheticMicroscopy, makeSyntheticPhotos } from '../fixtures/make-synthetic-photos';
import type { SyntheticSet } from '../fixtures/make-synthetic-photos';
import { NO_CHROMIUM, hasChromium, launchChromium } from './browser';
import { DATASETS_MISSING, REPO_ROOT } from './paths';

export const RENDERER_DIR = path.join(REPO_ROOT, 'out/renderer');
/** where the e2e tests write their screenshots */
export const SHOTS = path.join(REPO_ROOT, 'test-results');
const built = fs.existsSync(path.join(RENDERER_DIR, 'index.html'));

/**
 * why a browser-mode test cannot run here ('' when it can): no Chromium or no build; hasData is
 * false only for the public-datasets group (tests on ../shared/datasets)
 */
export function browserSkipReason(hasData = true): string {
  return !hasChromium ? NO_CHROMIUM : !built ? 'skipped: out/renderer not built (npm test builds it)' : !hasData ? DATASETS_MISSING : '';
}

/** a fresh temp folder (prefix: its name's start) and the HTTP host with its data in it */
export async function startHost(prefix: string): Promise<{ tmp: string; server: RunningServer }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(SHOTS, { recursive: true });
  const server = await serve({ dataDir: path.join(tmp, 'home'), rendererDir: RENDERER_DIR });
  return { tmp, server };
}

/** Chromium with a 1440x900 page; page errors (and console errors with consoleErrors) go to pageErrors */
export async function openPage(pageErrors: string[], opts: { consoleErrors?: boolean } = {}): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  if (opts.consoleErrors) {
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }
  return { browser, page };
}

/** closes what startHost and openPage opened (any of it may be missing when a setup failed) */
export async function stopAll(a: { browser?: Browser; server?: RunningServer; tmp?: string }): Promise<void> {
  await a.browser?.close();
  await a.server?.stop();
  if (a.tmp) fs.rmSync(a.tmp, { recursive: true, force: true });
}

/** n synthetic fluorescence-like images (256x256, cell-01.png …) with their masks, in tmp/synthetic-nuclei */
export function syntheticNuclei(tmp: string, n: number): Promise<SyntheticSet> {
  return makeSyntheticMicroscopy(path.join(tmp, 'synthetic-nuclei'), { count: n });
}

/** n synthetic photos (0.jpg …, three classes) with masks and a COCO file, in tmp/synthetic-photos */
export function syntheticPhotos(tmp: string, n: number): Promise<SyntheticSet> {
  return makeSyntheticPhotos(path.join(tmp, 'synthetic-photos'), { count: n });
}

/** a project "Nuclei" (with these classes) in tmp/nuclei, with the images of the set imported */
export async function importNuclei(server: RunningServer, tmp: string, set: SyntheticSet, classes: string[]): Promise<ProjectInfo> {
  const src = path.join(tmp, 'incoming');
  fs.mkdirSync(src);
  for (const im of set.images) fs.copyFileSync(path.join(set.imagesDir, im.fileName), path.join(src, im.fileName));
  const svc = server.services;
  const p = await svc.impl.projects.create({ dir: path.join(tmp, 'nuclei'), name: 'Nuclei', classes: classes.map((name) => ({ name })) });
  const { jobId } = await svc.impl.imports.start(p.id, { paths: [src] });
  expect((await svc.waitForImport(jobId)).imported).toBe(set.images.length);
  return p;
}

/** a call to the host over HTTP, as the renderer makes it (token as a Bearer header) */
export async function callApi<T>(server: RunningServer, channel: string, ...args: unknown[]): Promise<T> {
  const res = await fetch(`${server.url}/api/call/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: toWireJson(args),
  });
  const body = fromWireJson(await res.text()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${channel}: ${body.error?.message}`);
  return body.result as T;
}
