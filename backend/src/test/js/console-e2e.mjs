// End-to-end test of the Arbor web console in real headless Chromium (Debian's /usr/bin/chromium),
// driven by playwright-core. Run by ConsoleE2ETest against a live server with real compute:
//   sign in (a wrong key first) -> tree shows main -> create branch (a duplicate name first: the API's
//   CONFLICT is shown) -> write through the copied connection string with psql -> reset from parent
//   (the write is gone) -> restore to a time -> screenshot -> delete (typing the name to confirm) -> gone from tree and API.
// Environment: ARBOR_URL (http://host:port), ARBOR_API_KEY, ARBOR_PROJECT_ID, SCREENSHOT, PLAYWRIGHT_CORE
// (path of the playwright-core package), CHROMIUM (default /usr/bin/chromium), USER_DATA_DIR.
// Prints one JSON line per step and a final {"result": …} line; exits non-zero on the first failure.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined) throw new Error(`environment variable ${name} is required`);
  return v;
};
const BASE = env('ARBOR_URL');
const KEY = env('ARBOR_API_KEY');
const PROJECT = env('ARBOR_PROJECT_ID');
const SCREENSHOT = env('SCREENSHOT');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const USER_DATA = env('USER_DATA_DIR', '') || mkdtempSync(join(tmpdir(), 'arbor-console-chromium-'));
const WAIT = 120_000;   // generous: a shared 2-core machine starts PostgreSQL endpoints slowly

const { chromium } = await import(pathToFileURL(join(env('PLAYWRIGHT_CORE'), 'index.mjs')).href);

const step = (name, extra = {}) => console.log(JSON.stringify({ step: name, ...extra }));
function check(cond, message) { if (!cond) throw new Error(`assertion failed: ${message}`); }

async function api(method, path, body) {
  const res = await fetch(`${BASE}/api/v2${path}`, {
    method, headers: { Authorization: `Bearer ${KEY}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function until(what, fn, ms = WAIT) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Clicks {submit}, then expects the API's error (code and part of its message) shown inside {scope}. */
async function expectApiError(page, scope, submit, code, text) {
  await page.click(submit);
  const e = await page.waitForSelector(`${scope} [data-testid=error]`);
  const shown = await e.textContent();
  check((await e.getAttribute('data-code')) === code, `${scope}: expected the API error ${code}, got ${shown}`);
  check(shown.includes(text), `${scope}: the API's message should say '${text}': ${shown}`);
}

function psql(uri, sql) {
  const r = spawnSync('psql', [uri, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8', timeout: WAIT });
  if (r.error) throw new Error(`psql could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

const context = await chromium.launchPersistentContext(USER_DATA, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1440, height: 1100 },
});
const consoleErrors = [];
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[19]/.test(m.text())) consoleErrors.push(m.text()); });

  // ---- sign in: a wrong key is refused with the API's error, the right one opens the project
  await page.goto(`${BASE}/console`);
  await page.waitForSelector('[data-testid=api-key]');
  await page.fill('[data-testid=api-key]', 'not-a-key');
  await expectApiError(page, '#login-error', '[data-testid=sign-in]', 'UNAUTHORIZED', 'not accepted');
  step('wrong key refused');

  await page.fill('[data-testid=api-key]', KEY);
  await page.click('[data-testid=sign-in]');
  await page.waitForSelector(`[data-project-id="${PROJECT}"].active`);
  const main = await page.waitForSelector('.branch-node[data-branch-name="main"]');
  const mainId = await main.getAttribute('data-branch-id');
  check(await page.evaluate(() => sessionStorage.getItem('arbor.apiKey')) === KEY, 'the key is kept in sessionStorage');
  await page.waitForSelector('[data-testid=connection-uri]', { state: 'attached' });
  const mainUri = await page.inputValue('[data-testid=connection-uri]');
  check(mainUri.startsWith('postgresql://'), `main has a connection string, got ${mainUri}`);
  check(!(await page.textContent('[data-testid=connection-masked]')).includes(mainUri.split('@')[0].split(':')[2]),
    'the password is masked on screen');
  step('signed in', { mainId });

  // ---- the tree: parent links and badges (staging and pr-7 were made through the API)
  const staging = await page.waitForSelector('.branch-node[data-branch-name="staging"]');
  const stagingId = await staging.getAttribute('data-branch-id');
  const pr7Id = await page.getAttribute('.branch-node[data-branch-name="pr-7"]', 'data-branch-id');
  await page.waitForSelector(`path.link[data-parent-id="${mainId}"][data-child-id="${stagingId}"]`, { state: 'attached' });
  await page.waitForSelector(`path.link[data-parent-id="${stagingId}"][data-child-id="${pr7Id}"]`, { state: 'attached' });
  await page.waitForSelector('.branch-node[data-branch-name="staging"] .badge-protected', { state: 'attached' });
  check((await page.textContent('.branch-node[data-branch-name="pr-7"] .badge-expiry')).startsWith('expires in'),
    'pr-7 shows its expiry');
  check((await page.textContent('.branch-node[data-branch-name="main"]')).includes('logical'), 'main shows its storage');
  await page.click('.branch-node[data-branch-name="staging"]');
  await page.waitForSelector('[data-testid=detail-name]:has-text("staging")');
  await page.waitForSelector('[data-testid=badge-protected]');
  // deleting a protected branch: the dialog shows the API's refusal and stays open
  await page.click('[data-testid=action-delete]');
  await page.fill('[data-testid=delete-confirm]', 'staging');
  await expectApiError(page, '[data-testid=delete-dialog]', '[data-testid=dialog-submit]', 'CONFLICT', 'protected');
  await page.click('[data-testid=dialog-cancel]');
  await page.waitForSelector('[data-testid=delete-dialog]', { state: 'detached' });
  check((await api('GET', `/projects/${PROJECT}/branches/${stagingId}`)).status === 200, 'staging is still there');
  await page.click('.branch-node[data-branch-name="main"]');
  await page.waitForSelector('[data-testid=detail-name]:has-text("main")');
  step('tree drawn with links and badges');

  // ---- create: a duplicate name shows the API's CONFLICT in the dialog, which stays open
  await page.click('[data-testid=create-branch]');
  await page.waitForSelector('[data-testid=create-dialog]');
  await page.fill('[data-testid=create-name]', 'main');
  await expectApiError(page, '[data-testid=create-dialog]', '[data-testid=dialog-submit]', 'CONFLICT', 'already exists');
  step('duplicate name refused');

  const name = 'console-e2e';
  await page.fill('[data-testid=create-name]', name);
  await page.click('[data-testid=dialog-submit]');
  await page.waitForSelector('[data-testid=create-dialog]', { state: 'detached' });
  const node = await page.waitForSelector(`.branch-node[data-branch-name="${name}"]`);
  const branchId = await node.getAttribute('data-branch-id');
  await page.waitForSelector(`path.link[data-parent-id="${mainId}"][data-child-id="${branchId}"]`, { state: 'attached' });
  await page.waitForSelector(`.branch-node[data-branch-id="${branchId}"][data-state="ready"]`);
  const created = await api('GET', `/projects/${PROJECT}/branches/${branchId}`);
  check(created.status === 200 && created.json.branch.parent_id === mainId, `API: ${name} is a child of main: ${JSON.stringify(created)}`);
  check(await page.textContent('[data-testid=detail-name]') === name, 'the new branch is selected');
  step('created', { branchId });

  // ---- the copied connection string reaches the branch's own endpoint
  await until('the new branch connection string', async () => {
    const v = await page.inputValue('[data-testid=connection-uri]').catch(() => '');
    return v.startsWith('postgresql://') && v !== mainUri ? v : null;
  });
  const uri = await page.inputValue('[data-testid=connection-uri]');
  check(uri.includes('endpoint%3D') || uri.includes('endpoint='), `the URI names its endpoint: ${uri}`);
  await page.click('[data-testid=copy-connection]');
  await page.waitForSelector('[data-testid=toast-ok]:has-text("copied")');
  psql(uri, 'create table console_probe(x int); insert into console_probe values (42)');
  check(psql(uri, 'select x from console_probe') === '42', 'the write is visible on the branch');
  step('wrote through the connection string');

  // ---- reset from parent: the branch's write is gone, the tree shows it ready again
  await page.click('[data-testid=action-reset]');
  await page.waitForSelector('[data-testid=reset-dialog]');
  await page.click('[data-testid=dialog-submit]');
  await page.waitForSelector('[data-testid=reset-dialog]', { state: 'detached' });
  const reset = await until('the reset to finish', async () => {
    const r = await api('GET', `/projects/${PROJECT}/branches/${branchId}`);
    const ops = await api('GET', `/projects/${PROJECT}/operations?limit=50`);
    const busy = ops.json.operations.some((o) => o.branch_id === branchId && (o.status === 'running' || o.status === 'scheduling'));
    return r.json.branch.last_reset_at && r.json.branch.current_state === 'ready' && !busy ? r.json.branch : null;
  });
  await page.waitForSelector(`.branch-node[data-branch-id="${branchId}"][data-state="ready"]:not(.busy)`);
  check(psql(uri, "select coalesce(to_regclass('console_probe')::text, 'gone')") === 'gone', 'reset dropped the branch-only table');
  check(await page.textContent('[data-testid=detail-name]') === name, 'the branch stays selected after reset');
  await page.waitForSelector('[data-testid=operations] .op[data-status="finished"]');
  step('reset', { lastResetAt: reset.last_reset_at });

  // ---- restore to a point in time, from the parent: the branch point becomes that time, the old state a backup
  const at = new Date(Date.now() - 2000);
  const atInput = at.toISOString().slice(0, 19);   // datetime-local, UTC, seconds
  await page.click('[data-testid=action-restore]');
  await page.waitForSelector('[data-testid=restore-dialog]');
  await page.selectOption('[data-testid=restore-source]', mainId);
  await page.fill('[data-testid=restore-time]', atInput);
  await page.fill('[data-testid=restore-preserve]', '');
  await page.click('[data-testid=dialog-submit]');
  await page.waitForSelector('[data-testid=restore-dialog]', { state: 'detached' });
  const restored = await until('the restore to finish', async () => {
    const r = await api('GET', `/projects/${PROJECT}/branches/${branchId}`);
    const ops = await api('GET', `/projects/${PROJECT}/operations?limit=50`);
    const busy = ops.json.operations.some((o) => o.branch_id === branchId && (o.status === 'running' || o.status === 'scheduling'));
    return r.json.branch.parent_timestamp === `${atInput}Z` && r.json.branch.current_state === 'ready' && !busy ? r.json.branch : null;
  });
  check(restored.parent_id === mainId, 'restored from main');
  await page.waitForSelector(`.branch-node[data-branch-id="${branchId}"][data-state="ready"]:not(.busy)`);
  check(psql(uri, 'select count(*) from pg_class') > 0, 'the restored branch answers');
  // a point-in-time restore keeps the previous state as <name>_old_<time>, a sibling in the tree
  await page.waitForSelector(`.branch-node[data-branch-name^="${name}_old_"]`);
  step('restored to a time', { at: `${atInput}Z` });

  // a calm picture: every operation done, toasts dismissed
  await until('the console to show no running operation', async () =>
    (await page.textContent('[data-testid=stat-ops] .stat-value')) === '0');
  for (const close of await page.$$('.toast-close')) await close.click();
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  step('screenshot', { path: SCREENSHOT });

  // ---- delete: the button stays disabled until the name is typed
  await page.click('[data-testid=action-delete]');
  await page.waitForSelector('[data-testid=delete-dialog]');
  check(await page.isDisabled('[data-testid=dialog-submit]'), 'delete needs the name typed first');
  await page.fill('[data-testid=delete-confirm]', 'wrong');
  check(await page.isDisabled('[data-testid=dialog-submit]'), 'a wrong name does not enable delete');
  await page.fill('[data-testid=delete-confirm]', name);
  await page.click('[data-testid=dialog-submit]');
  await page.waitForSelector('[data-testid=delete-dialog]', { state: 'detached' });
  await page.waitForSelector(`.branch-node[data-branch-id="${branchId}"]`, { state: 'detached' });
  const gone = await until('the API to forget the branch', async () => {
    const r = await api('GET', `/projects/${PROJECT}/branches/${branchId}`);
    return r.status === 404 ? r : null;
  });
  check(gone.json.code === 'NOT_FOUND', 'a deleted branch answers NOT_FOUND');
  step('deleted');

  check(consoleErrors.length === 0, `no JavaScript errors in the page: ${consoleErrors.join('\n')}`);
  console.log(JSON.stringify({ result: { mainId, branchId, lastResetAt: reset.last_reset_at } }));
} finally {
  await context.close();
}
