/** The repository details' tabs added for issue 16: tags at the source, retention. */
import type { Messages } from './messages.ts';

export const detailMessages = {
} as const satisfies Messages;
