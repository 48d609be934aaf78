// A real browser for the e2e suite: Debian's Chromium (/usr/bin/chromium, installed by
// scripts/setup.sh) driven by playwright-core (a pinned dev dependency; it never downloads a
// browser). Headless, sandbox off (the suite runs as root), and every background service that
// would reach the network switched off: on a closed network Chromium otherwise keeps retrying.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

/**
 * A fresh browser profile under `dir` (its own user-data-dir), one page, 1400×900.
 * @returns {Promise<{context: import("playwright-core").BrowserContext, page: import("playwright-core").Page, errors: string[]}>}
 */
export async function openBrowser(dir, { viewport = { width: 1400, height: 900 } } = {}) {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(dir, "chromium-")), { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return { context, page, errors };
}

/**
 * Signs the page in to the gateway's Control UI with the shared token (the URL form
 * `openclaw dashboard` prints: http://127.0.0.1:PORT/#token=…). The UI stores the token in the
 * tab's session storage once the gateway has accepted it; later navigations in the tab use it.
 */
export async function signIn(page, gw) {
  await page.goto(`${gw.url}/#token=${gw.token}`);
  await page.waitForFunction((token) => JSON.stringify(sessionStorage).includes(token), gw.token, { timeout: 60000 });
}

/** The Control UI path of a plugin page (what the sidebar item links to). */
export function pluginPagePath(pluginId, pageId) {
  return `/plugin?plugin=${encodeURIComponent(pluginId)}&id=${encodeURIComponent(pageId)}`;
}
