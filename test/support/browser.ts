/**
 * Headless Chromium (Debian's /usr/bin/chromium, never a downloaded build) driven by
 * playwright-core, one per test file, with a fresh profile directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  readonly context: BrowserContext;
}

export function useBrowser(): Browser {
  const env = {} as { context: BrowserContext; profile: string };
  beforeAll(async () => {
    env.profile = mkdtempSync(join(tmpdir(), 'redstream-chromium-'));
    // launchPersistentContext passes the profile to chromium as --user-data-dir.
    env.context = await chromium.launchPersistentContext(env.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
  });
  afterAll(async () => {
    await env.context?.close();
    if (env.profile) rmSync(env.profile, { recursive: true, force: true });
  });
  return env;
}
