/** Admin pages: API tokens, the audit log, webhooks per namespace. */
import type { Messages } from './messages.ts';

export const adminMessages = {
} as const satisfies Messages;
