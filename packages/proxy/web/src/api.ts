// Calls to /v1/audit with the session cookie (sent by the browser) and, for requests that change
// something, the CSRF token the sign-in returned.
export interface Permissions {
  readonly read: boolean;
  readonly terminate: boolean;
}

export interface Me {
  readonly user: string;
  readonly expires: string;
  readonly csrf: string;
  readonly permissions: Permissions;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let csrf = '';

export function setCsrf(token: string): void {
  csrf = token;
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    headers['x-gatehouse-csrf'] = csrf;
  }
  const response = await fetch(`/v1/audit${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const data = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!response.ok) {
    throw new ApiError(
      response.status,
      data.error?.code ?? 'GH_ERR_INTERNAL',
      data.error?.message ?? `HTTP ${response.status}`,
    );
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
};

/** A query string from the fields that have a value. */
export function queryString(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') params.set(k, v);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
