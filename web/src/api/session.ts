/** Who the token is: the sign-in check and `GET /whoami`. */
import type { Role } from '../../../src/api/types.ts';
import { request } from './client.ts';

/** The signed-in token, as `GET /whoami` describes it. */
export interface Me {
  username: string;
  role: Role;
  namespaces?: string[];
}

export async function whoami(signal?: AbortSignal): Promise<Me> {
  return (await request<{ status: { userInfo: Me } }>('whoami', { signal })).status.userInfo;
}

/** Rejects when `token` is refused; a 401 here does not sign anyone out. */
export async function checkToken(token: string): Promise<void> {
  await request('repositories?limit=1', { token, quiet401: true });
}
