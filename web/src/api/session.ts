/** Who the token is: the sign-in check and `GET /whoami`. */
import type { Role } from '../../../src/api/types.ts';
import { arrived, request } from './client.ts';

/** The signed-in token, as `GET /whoami` describes it. */
export interface Me {
  username: string;
  role: Role;
  namespaces?: string[];
}

interface WhoamiAnswer {
  status: { userInfo: Me };
}

const meOf = (answer: WhoamiAnswer): Me => answer.status.userInfo;

export async function whoami(signal?: AbortSignal): Promise<Me> {
  return meOf(await request<WhoamiAnswer>('whoami', { signal }));
}

/** What `whoami` would answer, when the first screen's early GET has already brought it (api/early.ts). */
export const arrivedWhoami = () => arrived('whoami', meOf);

/** Rejects when `token` is refused; a 401 here does not sign anyone out. */
export async function checkToken(token: string): Promise<void> {
  await request('repositories?limit=1', { token, quiet401: true });
}
