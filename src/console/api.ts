// Talks to the gateway for the pages: the session (/console/api/session) and the public API (/v1)
// with the session cookie; every write carries the CSRF token. A refusal becomes an ApiError with
// the problem document, so a page can show its words and its field errors.
import { signal } from '@preact/signals';
import type { Static } from 'typebox';
import type { Me as MeSchema } from '../api/schemas/console.js';
import type { ProblemSchema } from '../api/schemas/invoice.js';

/** The signed-in user, as GET /console/api/session answers. */
export type Me = Static<typeof MeSchema>;
/** A problem document (docs/errors.md). */
export type Problem = Static<typeof ProblemSchema>;
export type FieldProblem = NonNullable<Problem['errors']>[number];

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** Who is signed in; null when nobody is. */
export const me = signal<Me | null | undefined>(undefined);

/** As the gateway decides it (access/console-sessions.ts scopesGrant): admin for its sellers, operator for the channels. */
export const can = (scope: 'issue' | 'read' | 'admin' | 'operator') => {
  const scopes = me.value?.scopes ?? [];
  if (scope === 'operator') return scopes.includes('operator');
  return scopes.includes(scope) || scopes.includes('admin') || (scope === 'read' && scopes.includes('operator'));
};

async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(method !== 'GET' && me.value && { 'x-csrf-token': me.value.csrfToken }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (response.status === 204) return undefined as T;
  const answer = (await response.json().catch(() => ({}))) as unknown;
  if (!response.ok) {
    const problem = { status: response.status, code: 'unknown', title: response.statusText, ...(answer as object) } as Problem;
    // A session that ended sends the person back to sign in.
    if (problem.code === 'session_invalid' && !path.endsWith('/session')) me.value = null;
    throw new ApiError(problem);
  }
  return answer as T;
}

/** A multipart upload (the batch template), with the CSRF token like every write. */
async function upload<T>(path: string, form: FormData): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(me.value && { 'x-csrf-token': me.value.csrfToken }) },
    body: form,
  });
  const answer = (await response.json().catch(() => ({}))) as unknown;
  if (!response.ok) throw new ApiError({ status: response.status, code: 'unknown', title: response.statusText, ...(answer as object) } as Problem);
  return answer as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  upload,
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, body ?? {}, headers),
  delete: <T>(path: string) => call<T>('DELETE', path),
};

export async function loadMe(): Promise<void> {
  try {
    me.value = await api.get<Me>('/console/api/session');
  } catch {
    me.value = null;
  }
}

export async function signIn(username: string, password: string, totp?: string): Promise<void> {
  me.value = await call<Me>('POST', '/console/api/session', { username, password, ...(totp && { totp }) });
}

/** A new TOTP secret to scan, then its first code: the recovery codes come back once. */
export const secondFactor = {
  offer: () => call<{ secret: string; uri: string; qrSvg: string }>('POST', '/console/api/second-factor/setup'),
  confirm: (code: string) => call<{ recoveryCodes: string[] }>('POST', '/console/api/second-factor/confirm', { code }),
};

export async function signOut(): Promise<void> {
  await call('DELETE', '/console/api/session').catch(() => undefined);
  me.value = null;
}

/** A fresh Idempotency-Key for one write a person asked for once (randomUUID needs HTTPS; this does not). */
export const newKey = () => `console-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
