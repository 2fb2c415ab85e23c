// Real Chromium for the web app's tests: Debian's `chromium` package (scripts/ensure-system.mjs
// installs it), driven by playwright-core, which downloads no browser of its own. One browser
// per test file, with a fresh profile directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '@gatehouse/testing';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  const executablePath = findExecutable(['chromium', 'chromium-browser']);
  if (executablePath === undefined)
    throw new Error("chromium is not installed: run 'npm test' (scripts/ensure-system.mjs installs it)");
  const profile = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'));
  // launchPersistentContext is how playwright takes a --user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    // The proxy's certificate comes from the cluster's own host CA.
    ignoreHTTPSErrors: true,
    viewport: { width: 1200, height: 760 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
