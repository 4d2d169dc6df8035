// The API, from the same origin, with the key in a header: never in a URL, never logged.
const KEY = 'metronome.apiKey';

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

/** An answer outside 2xx, carrying the server's envelope: its code and message are what the user is shown. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, {method = 'GET', body, key = session.key(), signal} = {}) {
  const headers = {Authorization: `Bearer ${key}`, Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal});
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const e = json && json.error;
    throw new ApiError(res.status, e ? e.code : 'http_' + res.status, e ? e.message : `${res.status} ${res.statusText}`);
  }
  return json;
}

export const paths = {
  metronomes: () => '/v1/metronomes',
  metronome: (m) => `/v1/metronomes/${encodeURIComponent(m)}`,
  runs: (m) => `/v1/metronomes/${encodeURIComponent(m)}/runs`,
  run: (m, r) => `/v1/metronomes/${encodeURIComponent(m)}/runs/${encodeURIComponent(r)}`,
  triggerEvents: (m) => `/v1/metronomes/${encodeURIComponent(m)}/trigger-events`,
};

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
