/** Composition root of browser mode: services + event hub + the HTTP/WebSocket host. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventHub } from '../api/events';
import { createServices } from '../services/create-services';
import { APP_VERSION, defaultDataDir } from './data-dir';
import { startHttpHost } from './http-host';
import type { HttpHost } from './http-host';

export interface ServeOptions {
  dataDir?: string;
  port?: number;
  rendererDir?: string;
  token?: string;
  /** a project folder to open at start (it then appears first under recent projects) */
  projectDir?: string;
}

export interface RunningServer extends HttpHost {
  services: ReturnType<typeof createServices>;
  stop(): Promise<void>;
}

/** out/renderer beside the bundled host (out/host/cli.js), or from the repo root when run from source. */
export function defaultRendererDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, '../renderer'), path.join(here, '../../out/renderer')];
  return path.resolve(candidates.find((c) => fs.existsSync(path.join(c, 'index.html'))) ?? candidates[0]!);
}

export async function serve(opts: ServeOptions = {}): Promise<RunningServer> {
  const hub = new EventHub();
  const services = createServices({
    dataDir: opts.dataDir ?? defaultDataDir(),
    mode: 'browser',
    version: APP_VERSION,
    emit: hub.emit,
    browseFiles: true,
  });
  if (opts.projectDir) services.impl.projects.open({ dir: path.resolve(opts.projectDir) });
  const host = await startHttpHost({
    services,
    subscribe: (l) => hub.subscribe(l),
    rendererDir: opts.rendererDir ?? defaultRendererDir(),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.token ? { token: opts.token } : {}),
  });
  return {
    ...host,
    services,
    async stop() {
      await host.close();
      services.dispose();
    },
  };
}
