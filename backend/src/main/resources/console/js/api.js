// The Arbor API v2 (Neon-compatible subset) as seen from the console: same origin, Bearer API key.
// Every failure becomes an ApiError carrying the server's {code, message, request_id}.

export const API_BASE = '/api/v2';

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export function createApi(key) {
  async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(API_BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, 'NETWORK_ERROR', `cannot reach the Arbor server (${e.message})`, null);
    }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the text */ }
    if (!res.ok) {
      throw new ApiError(res.status, json?.code ?? `HTTP_${res.status}`, json?.message ?? (text || res.statusText),
        json?.request_id ?? res.headers.get('x-request-id'));
    }
    return json;
  }
  const q = (params) => {
    const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null)).toString();
    return s ? `?${s}` : '';
  };
  const p = (id) => `/projects/${encodeURIComponent(id)}`;
  return {
    projects: () => call('GET', '/projects?limit=400'),
    createProject: (name) => call('POST', '/projects', { project: { name } }),
    branches: (pid) => call('GET', `${p(pid)}/branches?sort_by=created_at&sort_order=asc`),
    consumption: (pid) => call('GET', `${p(pid)}/consumption`),
    endpoints: (pid) => call('GET', `${p(pid)}/endpoints`),
    operations: (pid, limit = 25) => call('GET', `${p(pid)}/operations${q({ limit })}`),
    databases: (pid, bid) => call('GET', `${p(pid)}/branches/${encodeURIComponent(bid)}/databases`),
    connectionUri: (pid, params) => call('GET', `${p(pid)}/connection_uri${q(params)}`),
    createBranch: (pid, branch, endpoints) => call('POST', `${p(pid)}/branches`, { branch, endpoints }),
    restoreBranch: (pid, bid, body) => call('POST', `${p(pid)}/branches/${encodeURIComponent(bid)}/restore`, body),
    deleteBranch: (pid, bid) => call('DELETE', `${p(pid)}/branches/${encodeURIComponent(bid)}`),
    startEndpoint: (pid, eid) => call('POST', `${p(pid)}/endpoints/${encodeURIComponent(eid)}/start`, {}),
    suspendEndpoint: (pid, eid) => call('POST', `${p(pid)}/endpoints/${encodeURIComponent(eid)}/suspend`, {}),
  };
}
