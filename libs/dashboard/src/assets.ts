/**
 * The static files the pages load: the dashboard's own script and style, and uPlot from its
 * npm package — all served by the dashboard itself, so the page works offline and CSP can
 * allow 'self' only.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { DashboardResponse } from './http.js';

const require = createRequire(import.meta.url);
const own = (name: string) => fileURLToPath(new URL(`../assets/${name}`, import.meta.url));

const ASSETS: Record<string, { file: () => string; type: string }> = {
  'dashboard.css': { file: () => own('dashboard.css'), type: 'text/css; charset=utf-8' },
  'dashboard.js': { file: () => own('dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'favicon.svg': { file: () => own('favicon.svg'), type: 'image/svg+xml' },
  'uPlot.min.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
};

export class Assets {
  private readonly cache = new Map<string, Buffer>();

  /** The asset, or undefined for a name that is not one. */
  async get(name: string): Promise<DashboardResponse | undefined> {
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return undefined;
    let body = this.cache.get(name);
    if (!body) {
      body = await readFile(asset.file());
      this.cache.set(name, body);
    }
    return { status: 200, headers: { 'content-type': asset.type, 'cache-control': 'private, max-age=300' }, body };
  }
}
