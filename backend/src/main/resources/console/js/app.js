// Arbor console: projects, the branch tree, endpoints and operations, driven by the API v2 with the
// user's API key (kept in sessionStorage, so it lasts for this tab only).

import { createApi, ApiError } from './api.js';
import { h, $, copyText } from './dom.js';
import { bytes, utc, relative, duration, maskUri, toLocalInput } from './format.js';
import { renderTree, branchPoint } from './tree.js';
import { toast, toastError, openDialog, field, errorView } from './ui.js';

const KEY = 'arbor.apiKey';
const FAST_POLL_MS = 1000;
const SLOW_POLL_MS = 5000;

const state = {
  api: null,
  projects: [],
  projectId: null,
  branches: [],
  usage: new Map(),
  endpoints: [],
  operations: [],
  selectedId: null,
  conn: null,        // {branchId, endpointId, uri} for the selected branch
  timer: null,
  loading: false,
};

// ------------------------------------------------------------------ sign-in

function showLogin(message) {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').replaceChildren(message ? (message instanceof Node ? message : h('div', { class: 'error-box' }, message)) : '');
  $('#api-key').value = '';
  $('#api-key').focus();
}

async function signIn(key) {
  const api = createApi(key);
  const res = await api.projects();   // proves the key works
  sessionStorage.setItem(KEY, key);
  state.api = api;
  state.projects = res.projects;
  $('#login').hidden = true;
  $('#app').hidden = false;
  route();
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  clearTimeout(state.timer);
  Object.assign(state, { api: null, projectId: null, selectedId: null, branches: [], conn: null });
  showLogin(message);
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = $('#api-key').value.trim();
  if (!key) return;
  const btn = $('#login-submit');
  btn.disabled = true;
  try {
    await signIn(key);
  } catch (err) {
    $('#login-error').replaceChildren(err instanceof ApiError && err.status === 401
      ? errorView(new ApiError(401, err.code, `That API key was not accepted: ${err.message}`, err.requestId)) : errorView(err));
  } finally {
    btn.disabled = false;
  }
});
$('#sign-out').addEventListener('click', () => signOut());

/** Runs an API call; a 401 (key revoked) sends the user back to sign-in. */
async function guarded(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signOut(errorView(err));
    throw err;
  }
}

// ------------------------------------------------------------------ routing: #/projects/<id>[/branches/<id>]

function route() {
  const m = location.hash.match(/^#\/projects\/([a-z0-9-]+)(?:\/branches\/([a-z0-9-]+))?/);
  const pid = m?.[1] ?? state.projects[0]?.id ?? null;
  selectProject(pid, m?.[2] ?? null);
}

function setHash() {
  const hash = state.projectId ? `#/projects/${state.projectId}${state.selectedId ? `/branches/${state.selectedId}` : ''}` : '';
  if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname);
}

window.addEventListener('hashchange', () => { if (state.api) route(); });

// ------------------------------------------------------------------ data

function selectProject(pid, branchId) {
  state.projectId = pid;
  state.selectedId = branchId;
  state.branches = [];
  state.conn = null;
  renderProjects();
  if (!pid) {
    renderEmpty();
    return;
  }
  $('#workspace').hidden = false;
  $('#empty').hidden = true;
  refresh();
}

async function refresh() {
  clearTimeout(state.timer);
  const pid = state.projectId;
  if (!pid || !state.api) return;
  try {
    const api = state.api;
    const [b, e, o, c] = await guarded(() => Promise.all([
      api.branches(pid), api.endpoints(pid), api.operations(pid),
      api.consumption(pid).catch(() => null),   // storage figures are a nice-to-have
    ]));
    if (pid !== state.projectId) return;
    state.branches = b.branches;
    state.endpoints = e.endpoints;
    state.operations = o.operations;
    state.usage = new Map((c?.branches ?? []).map((u) => [u.branch_id, u]));
    state.totals = c?.totals ?? null;
    if (!state.branches.some((x) => x.id === state.selectedId)) {
      state.selectedId = (state.branches.find((x) => x.default) ?? state.branches[0])?.id ?? null;
    }
    $('#live').className = 'live ok';
    $('#live').title = `updated ${new Date().toLocaleTimeString()}`;
    render();
  } catch (err) {
    $('#live').className = 'live down';
    $('#live').title = err.message;
    if (err instanceof ApiError && err.status === 404 && pid === state.projectId) {
      toastError(err, 'Project not found');
      location.hash = '';
      await reloadProjects();
      return;
    }
    if (!(err instanceof ApiError && err.status === 401)) console.warn('refresh failed', err);
  }
  schedule();
}

function busy() {
  return state.operations.some((o) => o.status === 'running' || o.status === 'scheduling')
    || state.branches.some((b) => b.current_state !== 'ready')
    || state.endpoints.some((e) => e.pending_state && e.pending_state !== e.current_state);
}

function schedule() {
  clearTimeout(state.timer);
  if (!state.api) return;
  state.timer = setTimeout(() => (document.hidden ? schedule() : refresh()), busy() ? FAST_POLL_MS : SLOW_POLL_MS);
}

async function reloadProjects() {
  const res = await guarded(() => state.api.projects());
  state.projects = res.projects;
  route();
}

/** After a mutation: follow its operations quickly. */
function afterMutation(result) {
  if (result?.operations?.length) state.operations = [...result.operations, ...state.operations];
  refresh();
}

// ------------------------------------------------------------------ rendering

function renderProjects() {
  const list = $('#project-list');
  list.replaceChildren(...state.projects.map((p) => h('li', {},
    h('a', {
      href: `#/projects/${p.id}`, class: p.id === state.projectId ? 'active' : '', 'data-project-id': p.id,
    }, h('span', { class: 'p-name' }, p.name), h('span', { class: 'p-id' }, p.id)))));
  if (!state.projects.length) list.append(h('li', { class: 'muted small' }, 'No projects yet.'));
  const p = project();
  $('#project-name').textContent = p ? p.name : '';
  $('#project-meta').replaceChildren(...(p ? [
    h('span', { class: 'mono' }, p.id), h('span', {}, `PostgreSQL ${p.pg_version}`), h('span', {}, p.region_id),
    h('span', {}, `history ${Math.round((p.history_retention_seconds ?? 0) / 3600)} h`),
  ] : []));
}

function project() { return state.projects.find((p) => p.id === state.projectId); }
function branch(id) { return state.branches.find((b) => b.id === id); }
function endpointsOf(bid) { return state.endpoints.filter((e) => e.branch_id === bid); }

function renderEmpty() {
  $('#workspace').hidden = true;
  $('#empty').hidden = false;
}

function render() {
  renderProjects();
  renderStats();
  const byBranch = new Map();
  for (const e of state.endpoints) {
    if (!byBranch.has(e.branch_id)) byBranch.set(e.branch_id, []);
    byBranch.get(e.branch_id).push(e);
  }
  renderTree($('#tree'), state.branches, {
    usage: state.usage, endpoints: byBranch, selectedId: state.selectedId,
    onSelect: (id) => { state.selectedId = id; state.conn = null; render(); },
  });
  renderDetail();
  renderEndpoints();
  renderOperations();
  setHash();
}

function stat(label, value, testid) {
  return h('div', { class: 'stat', 'data-testid': testid }, h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-label' }, label));
}

function renderStats() {
  const active = state.endpoints.filter((e) => e.current_state === 'active').length;
  const running = state.operations.filter((o) => o.status === 'running' || o.status === 'scheduling').length;
  $('#stats').replaceChildren(
    stat('branches', String(state.branches.length), 'stat-branches'),
    stat('endpoints active', `${active} / ${state.endpoints.length}`, 'stat-endpoints'),
    stat('logical size', bytes(state.totals?.logical_size), 'stat-logical'),
    stat('stored (unique)', bytes(state.totals?.physical_size_bytes), 'stat-physical'),
    stat('operations running', String(running), 'stat-ops'));
}

function row(label, value) {
  return [h('dt', {}, label), h('dd', {}, value ?? '—')];
}

function stateBadge(b) {
  const pending = b.pending_state && b.pending_state !== b.current_state ? ` → ${b.pending_state}` : '';
  return h('span', { class: `pill pill-${b.current_state === 'ready' ? 'ok' : 'busy'}`, 'data-testid': 'branch-state' }, b.current_state + pending);
}

function renderDetail() {
  const panel = $('#branch-detail');
  const b = branch(state.selectedId);
  if (!b) {
    panel.replaceChildren(h('p', { class: 'muted' }, 'Select a branch in the tree.'));
    return;
  }
  const parent = b.parent_id ? branch(b.parent_id) : null;
  const u = state.usage.get(b.id);
  const eps = endpointsOf(b.id);
  const badges = [
    b.default ? h('span', { class: 'pill pill-default' }, 'default') : null,
    b.protected ? h('span', { class: 'pill pill-protected', 'data-testid': 'badge-protected' }, 'protected') : null,
    b.expires_at ? h('span', { class: 'pill pill-expiry', title: utc(b.expires_at) }, `expires ${relative(b.expires_at)}`) : null,
    stateBadge(b),
  ];
  const actions = h('div', { class: 'actions' },
    h('button', { class: 'secondary', 'data-testid': 'action-create-child', onclick: () => createBranchDialog(b.id) }, 'Create child branch'),
    h('button', {
      class: 'secondary', 'data-testid': 'action-reset', disabled: !b.parent_id,
      title: b.parent_id ? `Replace this branch's data with the latest state of ${parent?.name ?? b.parent_id}` : 'a root branch has no parent to reset from',
      onclick: () => resetDialog(b),
    }, 'Reset from parent'),
    h('button', { class: 'secondary', 'data-testid': 'action-restore', onclick: () => restoreDialog(b) }, 'Restore to time'),
    h('button', {
      class: 'danger-outline', 'data-testid': 'action-delete', disabled: b.default,
      title: b.default ? 'the default branch cannot be deleted' : 'Delete this branch and its endpoints',
      onclick: () => deleteDialog(b),
    }, 'Delete'));
  panel.replaceChildren(
    h('div', { class: 'detail-head' },
      h('div', {}, h('h2', { 'data-testid': 'detail-name' }, b.name), h('div', { class: 'badges' }, badges)),
      actions),
    h('div', { class: 'detail-grid' },
      h('dl', {},
        ...row('Branch ID', h('span', { class: 'mono', 'data-testid': 'detail-id' }, b.id)),
        ...row('Parent', parent ? h('a', { href: `#/projects/${state.projectId}/branches/${parent.id}` }, parent.name) : (b.parent_id ?? 'none (root)')),
        ...row('Branch point', b.parent_id ? h('span', { class: 'mono' }, branchPoint(b)) : '—'),
        ...row('Branched at', b.parent_timestamp ? utc(b.parent_timestamp) : (b.parent_id ? utc(b.created_at) : '—')),
        ...row('Created', `${utc(b.created_at)} (${relative(b.created_at)})`),
        ...row('Last reset', b.last_reset_at ? `${utc(b.last_reset_at)} (${relative(b.last_reset_at)})` : 'never'),
        ...row('Expires', b.expires_at ? `${utc(b.expires_at)} (${relative(b.expires_at)})` : 'never')),
      h('dl', {},
        ...row('Logical size', bytes(u?.logical_size ?? b.logical_size)),
        ...row('Written', bytes(u?.written_data_bytes)),
        ...row('Stored (unique to branch)', bytes(u?.physical_size_unique_bytes)),
        ...row('Init source', b.init_source))),
    h('h3', {}, 'Compute'),
    eps.length ? h('div', { class: 'ep-list' }, eps.map(endpointCard)) : h('p', { class: 'muted' }, 'This branch has no endpoint.'),
    eps.length ? connectionView(b, eps) : null);
}

function epStateClass(e) {
  if (e.pending_state && e.pending_state !== e.current_state) return 'busy';
  return e.current_state === 'active' ? 'active' : 'idle';
}

function epStateText(e) {
  const pending = e.pending_state && e.pending_state !== e.current_state ? ` → ${e.pending_state}` : '';
  return e.current_state + pending;
}

function endpointToggle(e) {
  const active = e.current_state === 'active';
  return h('button', {
    class: 'small ghost', 'data-testid': active ? 'endpoint-suspend' : 'endpoint-start', disabled: e.disabled,
    onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        afterMutation(await guarded(() => (active ? state.api.suspendEndpoint : state.api.startEndpoint)(state.projectId, e.id)));
        toast('ok', `Endpoint ${e.id} ${active ? 'suspending' : 'starting'}`);
      } catch (err) {
        toastError(err, `Could not ${active ? 'suspend' : 'start'} ${e.id}`);
        ev.target.disabled = false;
      }
    },
  }, active ? 'Suspend' : 'Start');
}

function endpointCard(e) {
  return h('div', { class: 'ep', 'data-endpoint-id': e.id },
    h('span', { class: `pill pill-${epStateClass(e)}`, 'data-testid': 'endpoint-state' }, epStateText(e)),
    h('span', { class: 'mono' }, e.id), h('span', { class: 'muted' }, e.type.replace('_', '-')),
    h('span', { class: 'muted' }, `${e.autoscaling_limit_min_cu}–${e.autoscaling_limit_max_cu} CU`),
    e.last_active ? h('span', { class: 'muted' }, `active ${relative(e.last_active)}`) : null,
    endpointToggle(e));
}

function connectionView(b, eps) {
  const box = h('div', { class: 'conn', 'data-testid': 'connection' });
  const ep = eps.find((e) => e.type === 'read_write') ?? eps[0];
  const show = (uri) => {
    const input = h('input', { type: 'hidden', 'data-testid': 'connection-uri' });
    input.value = uri;
    box.replaceChildren(
      h('span', { class: 'label' }, 'Connection string'),
      h('code', { class: 'uri', 'data-testid': 'connection-masked' }, maskUri(uri)), input,
      h('button', {
        class: 'small primary', 'data-testid': 'copy-connection',
        onclick: async () => {
          const ok = await copyText(uri);
          toast(ok ? 'ok' : 'error', ok ? 'Connection string copied' : 'Copy failed: select and copy it by hand');
        },
      }, 'Copy'));
  };
  if (state.conn && state.conn.branchId === b.id && state.conn.endpointId === ep.id) {
    show(state.conn.uri);
    return box;
  }
  box.replaceChildren(h('span', { class: 'muted' }, 'Loading connection string…'));
  (async () => {
    try {
      const dbs = (await guarded(() => state.api.databases(state.projectId, b.id))).databases;
      if (!dbs.length) { box.replaceChildren(h('span', { class: 'muted' }, 'No database on this branch.')); return; }
      const db = dbs.find((d) => d.name === 'neondb') ?? dbs[0];
      const res = await guarded(() => state.api.connectionUri(state.projectId,
        { branch_id: b.id, endpoint_id: ep.id, database_name: db.name, role_name: db.owner_name }));
      state.conn = { branchId: b.id, endpointId: ep.id, uri: res.uri };
      if (state.selectedId === b.id) show(res.uri);
    } catch (err) {
      box.replaceChildren(errorView(err));
    }
  })();
  return box;
}

function renderEndpoints() {
  const rows = state.endpoints.map((e) => h('tr', { 'data-endpoint-id': e.id },
    h('td', {}, h('span', { class: `pill pill-${epStateClass(e)}` }, epStateText(e))),
    h('td', { class: 'mono' }, e.id),
    h('td', {}, h('a', { href: `#/projects/${state.projectId}/branches/${e.branch_id}` }, branch(e.branch_id)?.name ?? e.branch_id)),
    h('td', {}, e.type === 'read_write' ? 'read-write' : 'read-only'),
    h('td', { class: 'muted' }, e.last_active ? relative(e.last_active) : '—'),
    h('td', { class: 'right' }, endpointToggle(e))));
  $('#endpoints').replaceChildren(
    h('thead', {}, h('tr', {}, ['State', 'Endpoint', 'Branch', 'Type', 'Last active', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No endpoints.'))));
}

const ACTIONS = {
  create_timeline: 'Create timeline', delete_timeline: 'Delete timeline', start_compute: 'Start compute',
  suspend_compute: 'Suspend compute', delete_compute: 'Delete compute', apply_config: 'Apply config',
  apply_schema_from_branch: 'Copy schema', anonymize_branch: 'Anonymize', import_data: 'Import',
};

/** A fraction in [0,1] when the operation reports progress, else null. */
function progressOf(o) {
  if (o.status === 'finished' || o.status === 'skipped') return 1;
  const p = o.progress;
  if (p && typeof p === 'object') {
    if (typeof p.fraction === 'number') return p.fraction;
    const done = p.bytes_done ?? p.done ?? p.tables_done;
    const total = p.bytes_total ?? p.total ?? p.tables_total;
    if (typeof done === 'number' && typeof total === 'number' && total > 0) return Math.min(1, done / total);
  }
  if (typeof p === 'number') return p > 1 ? p / 100 : p;
  return null;
}

/** e.g. "restoring · 3 / 10 tables · 12 MiB / 40 MiB" for an import. */
function progressText(o) {
  const p = o.progress;
  if (!p || typeof p !== 'object') return null;
  const parts = [p.phase ?? p.message];
  if (typeof p.tables_total === 'number' && p.tables_total > 0) parts.push(`${p.tables_done ?? 0} / ${p.tables_total} tables`);
  if (typeof p.bytes_total === 'number' && p.bytes_total > 0) parts.push(`${bytes(p.bytes_done ?? 0)} / ${bytes(p.bytes_total)}`);
  return parts.filter(Boolean).join(' · ') || null;
}

function renderOperations() {
  const list = $('#operations');
  const items = state.operations.slice(0, 25).map((o) => {
    const f = progressOf(o);
    const running = o.status === 'running' || o.status === 'scheduling';
    const bar = h('div', { class: `progress${f === null && running ? ' indeterminate' : ''} progress-${o.status}` },
      h('div', { class: 'bar', style: { width: `${Math.round((f ?? (running ? 0.35 : 0)) * 100)}%` } }));
    return h('li', { class: `op op-${o.status}`, 'data-operation-id': o.id, 'data-action': o.action, 'data-status': o.status },
      h('div', { class: 'op-line' },
        h('span', { class: `pill pill-op-${o.status}` }, o.status),
        h('span', { class: 'op-action' }, ACTIONS[o.action] ?? o.action),
        h('span', { class: 'muted' }, o.branch_id ? (branch(o.branch_id)?.name ?? o.branch_id) : ''),
        h('span', { class: 'muted right' }, `${relative(o.created_at)}${o.total_duration_ms ? ` · ${duration(o.total_duration_ms)}` : ''}`)),
      bar,
      progressText(o) ? h('div', { class: 'op-progress-text muted', 'data-testid': 'op-progress' }, progressText(o)) : null,
      o.error ? h('div', { class: 'op-error' }, o.error) : null);
  });
  list.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, 'No operations yet.')]));
}

// ------------------------------------------------------------------ actions

function input(attrs) { return h('input', { ...attrs }); }

function defaultName() { return `dev-${Math.random().toString(36).slice(2, 6)}`; }

async function createBranchDialog(parentId) {
  if (!state.branches.length) return;
  const parent = h('select', { name: 'parent', 'data-testid': 'create-parent' },
    state.branches.filter((b) => b.current_state === 'ready' || b.id === parentId)
      .map((b) => h('option', { value: b.id, selected: b.id === parentId }, `${b.name}${b.default ? ' (default)' : ''}`)));
  const pointKind = h('select', { name: 'point', 'data-testid': 'create-point' },
    h('option', { value: 'head' }, 'Now (latest data)'), h('option', { value: 'time' }, 'A point in time (UTC)'),
    h('option', { value: 'lsn' }, 'An LSN'));
  const time = input({ type: 'datetime-local', name: 'time', step: 1, value: toLocalInput(new Date(Date.now() - 5 * 60000)) });
  const lsn = input({ type: 'text', name: 'lsn', placeholder: '0/16B3748', class: 'mono', pattern: '[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}' });
  const timeField = field('Time (UTC)', time);
  const lsnField = field('LSN', lsn);
  const sync = () => { timeField.hidden = pointKind.value !== 'time'; lsnField.hidden = pointKind.value !== 'lsn'; };
  pointKind.addEventListener('change', sync);
  sync();
  const expiry = h('select', { name: 'expiry', 'data-testid': 'create-expiry' },
    h('option', { value: '' }, 'Never'), h('option', { value: '3600' }, 'in 1 hour'), h('option', { value: '86400' }, 'in 1 day'),
    h('option', { value: '604800' }, 'in 7 days'));
  const name = input({ type: 'text', name: 'name', required: true, maxlength: 256, value: defaultName(), 'data-testid': 'create-name', autocomplete: 'off' });
  const withEndpoint = input({ type: 'checkbox', name: 'endpoint', checked: true, 'data-testid': 'create-endpoint' });
  const result = await openDialog({
    title: 'Create branch', testid: 'create-dialog',
    intro: 'An instant copy-on-write clone of the parent. Nothing is copied until either side writes.',
    submitLabel: 'Create branch',
    fields: [field('Name', name), field('Parent', parent), field('Branch from', pointKind), timeField, lsnField,
      field('Expires', expiry, 'Arbor deletes the branch at that time.'),
      h('label', { class: 'check' }, withEndpoint, h('span', {}, 'Read-write compute endpoint (connection string)'))],
    canSubmit: () => name.value.trim().length > 0,
    submit: async () => {
      const branch = { name: name.value.trim(), parent_id: parent.value };
      if (pointKind.value === 'time') branch.parent_timestamp = new Date(`${time.value}Z`).toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (pointKind.value === 'lsn') branch.parent_lsn = lsn.value.trim();
      if (expiry.value) branch.expires_at = new Date(Date.now() + Number(expiry.value) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return guarded(() => state.api.createBranch(state.projectId, branch, withEndpoint.checked ? [{ type: 'read_write' }] : []));
    },
  });
  if (!result) return;
  state.selectedId = result.branch.id;
  state.conn = null;
  toast('ok', `Branch ${result.branch.name} created`);
  afterMutation(result);
}

async function resetDialog(b) {
  const parent = branch(b.parent_id);
  const result = await openDialog({
    title: `Reset ${b.name}`, testid: 'reset-dialog',
    intro: `Replaces all data on ${b.name} with the latest state of ${parent?.name ?? b.parent_id}. Changes made on ${b.name} are lost. `
      + 'Its endpoints restart on the new data; connection strings stay the same.',
    fields: [], submitLabel: 'Reset branch', danger: true,
    submit: () => guarded(() => state.api.restoreBranch(state.projectId, b.id, { source_branch_id: b.parent_id })),
  });
  if (!result) return;
  toast('ok', `Branch ${b.name} reset from ${parent?.name ?? b.parent_id}`);
  afterMutation(result);
}

async function restoreDialog(b) {
  const source = h('select', { name: 'source', 'data-testid': 'restore-source' },
    h('option', { value: b.id }, `${b.name} (its own history)`),
    b.parent_id ? h('option', { value: b.parent_id }, `${branch(b.parent_id)?.name ?? b.parent_id} (parent)`) : null);
  const time = input({ type: 'datetime-local', name: 'time', step: 1, required: true, 'data-testid': 'restore-time',
    value: toLocalInput(new Date(Date.now() - 10 * 60000)) });
  const preserve = input({ type: 'text', name: 'preserve', placeholder: `${b.name}_old_<time>`, 'data-testid': 'restore-preserve', autocomplete: 'off' });
  const result = await openDialog({
    title: `Restore ${b.name} to a point in time`, testid: 'restore-dialog',
    intro: 'The branch gets the data as it was at that time; its endpoints restart and its connection string stays. '
      + 'Arbor keeps the current state as a backup branch, so the restore can be undone.',
    fields: [field('Restore from', source), field('Time (UTC)', time), field('Keep current state as', preserve,
      `Leave empty for ${b.name}_old_<time>.`)],
    submitLabel: 'Restore', danger: true,
    canSubmit: () => Boolean(time.value),
    submit: () => {
      const body = { source_branch_id: source.value, source_timestamp: new Date(`${time.value}Z`).toISOString().replace(/\.\d{3}Z$/, 'Z') };
      if (preserve.value.trim()) body.preserve_under_name = preserve.value.trim();
      return guarded(() => state.api.restoreBranch(state.projectId, b.id, body));
    },
  });
  if (!result) return;
  toast('ok', `Branch ${b.name} restoring to ${utc(`${time.value}Z`)}; its previous state is kept as a backup branch`);
  afterMutation(result);
}

async function deleteDialog(b) {
  const confirm = input({ type: 'text', name: 'confirm', autocomplete: 'off', 'data-testid': 'delete-confirm', placeholder: b.name });
  const eps = endpointsOf(b.id).length;
  const result = await openDialog({
    title: `Delete ${b.name}?`, testid: 'delete-dialog',
    intro: `This deletes the branch${eps ? ` and its ${eps} endpoint${eps > 1 ? 's' : ''}` : ''} for good. Type the branch name to confirm.`,
    fields: [field('Branch name', confirm)], submitLabel: 'Delete branch', danger: true,
    canSubmit: () => confirm.value === b.name,
    submit: () => guarded(() => state.api.deleteBranch(state.projectId, b.id)),
  });
  if (!result) return;
  if (state.selectedId === b.id) state.selectedId = b.parent_id ?? null;
  state.conn = null;
  toast('ok', `Branch ${b.name} deleted`);
  afterMutation(result);
}

async function newProjectDialog() {
  const name = input({ type: 'text', name: 'name', required: true, maxlength: 256, value: '', 'data-testid': 'project-name', autocomplete: 'off' });
  const result = await openDialog({
    title: 'New project', testid: 'project-dialog',
    intro: 'A project starts with a default branch main, role neondb_owner, database neondb and a read-write endpoint.',
    fields: [field('Name', name)], submitLabel: 'Create project',
    canSubmit: () => name.value.trim().length > 0,
    submit: () => guarded(() => state.api.createProject(name.value.trim())),
  });
  if (!result) return;
  toast('ok', `Project ${result.project.name} created`);
  const res = await guarded(() => state.api.projects());
  state.projects = res.projects;
  location.hash = `#/projects/${result.project.id}`;
}

$('#create-branch').addEventListener('click', () => createBranchDialog(state.selectedId ?? state.branches.find((b) => b.default)?.id));
$('#new-project').addEventListener('click', () => newProjectDialog().catch((e) => toastError(e, 'Could not create the project')));
$('#empty-new-project').addEventListener('click', () => newProjectDialog().catch((e) => toastError(e, 'Could not create the project')));
$('#refresh').addEventListener('click', () => refresh());
document.addEventListener('visibilitychange', () => { if (!document.hidden && state.api) refresh(); });

// ------------------------------------------------------------------ start

const saved = sessionStorage.getItem(KEY);
if (saved) {
  signIn(saved).catch((err) => {
    sessionStorage.removeItem(KEY);
    showLogin(errorView(err));
  });
} else {
  showLogin();
}
