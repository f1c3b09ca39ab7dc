// The service's JSON API, with the signed-in key from sessionStorage as a bearer token.

import { t } from './i18n.js';

const KEY_ITEM = 'cs.apiKey';

/** An error answer (`{"error": {"code", "message"}}`), or status 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** A line to show a person. */
  get display() {
    if (this.status === 0) return t('error.network', { message: this.message });
    return t('error.http', { status: this.status, message: this.message || this.code });
  }
}

let unauthorizedHandler = () => {};

export function storedKey() {
  try {
    return sessionStorage.getItem(KEY_ITEM);
  } catch {
    return null;
  }
}

export function storeKey(key) {
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  else sessionStorage.removeItem(KEY_ITEM);
}

/** Called when a request with the stored key gets 401: the key was revoked or is wrong. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/**
 * Calls the API. `query` values that are null, undefined or '' are left out. Resolves to the decoded body
 * (null for an empty one); rejects with ApiError.
 */
export async function api(path, { method = 'GET', query, body, key = storedKey(), signal } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value == null || value === '') continue;
      params.append(name, String(value));
    }
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', error.message);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const code = data?.error?.code ?? `http_${response.status}`;
    const message = data?.error?.message ?? (text.slice(0, 200) || response.statusText);
    const error = new ApiError(response.status, code, message);
    if (response.status === 401 && key === storedKey()) unauthorizedHandler(error);
    throw error;
  }
  return data;
}
