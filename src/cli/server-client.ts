/**
 * The HTTP client of the commands that talk to `tug serve` (apply, get,
 * delete KIND): server URL from --server, env TUG_SERVER or
 * http://127.0.0.1:8080; token from --token-file or env TUG_TOKEN (never from
 * argv, where other users can read it). Status answers become TugErrors.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option, type OptionValues } from '@commander-js/extra-typings';
import { API_PREFIX, type Status } from '../api/types.ts';
import { type ErrorCode, TugError } from '../errors/index.ts';
import type { NoOptions, OptionsOf } from './options.ts';

export function addServerFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .addOption(new Option('--server <url>', 'the tug serve URL (default: env TUG_SERVER or http://127.0.0.1:8080)'))
    .addOption(new Option('--token-file <path>', 'file holding the API token (default: env TUG_TOKEN)'));
}

/** --server and --token-file as parsed. */
export type ServerOptions = OptionsOf<typeof addServerFlags<[], NoOptions, NoOptions>>;

export interface ServerClient {
  base: string;
  request<T = unknown>(method: string, path: string, body?: unknown, options?: { contentType?: string; allow404?: boolean }): Promise<{ status: number; body: T }>;
}

function codeFor(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'AUTH';
  if (status === 404) return 'NOT_FOUND';
  if (status >= 500) return 'TRANSIENT';
  return 'USAGE';
}

export async function serverClient(opts: ServerOptions): Promise<ServerClient> {
  const base = (opts.server ?? process.env.TUG_SERVER ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  let token: string | undefined;
  if (opts.tokenFile) {
    try {
      token = (await readFile(opts.tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new TugError('USAGE', `reading --token-file ${opts.tokenFile}: ${(err as Error).message}`);
    }
  } else token = process.env.TUG_TOKEN?.trim() || undefined;
  return {
    base,
    async request<T>(method: string, path: string, body?: unknown, options: { contentType?: string; allow404?: boolean } = {}) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      let res: Response;
      try {
        res = await fetch(`${base}${API_PREFIX}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (err) {
        throw new TugError('TRANSIENT', `cannot reach the server at ${base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, {
          hint: 'is "tug serve" running? set --server or TUG_SERVER',
        });
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      if (res.ok || (options.allow404 && res.status === 404)) return { status: res.status, body: parsed as T };
      const status = parsed as Partial<Status> | undefined;
      const causes = status?.details?.causes?.map((c) => `\n  ${c.field ? `${c.field}: ` : ''}${c.message}`).join('') ?? '';
      const hint = res.status === 401 ? (token ? 'the token was refused' : 'pass --token-file FILE or set TUG_TOKEN') : undefined;
      throw new TugError(codeFor(res.status), `${method} ${path}: ${status?.message ?? `HTTP ${res.status}`}${status?.details?.causes && status.details.causes.length > 1 ? causes : ''}`, hint ? { hint } : {});
    },
  };
}
