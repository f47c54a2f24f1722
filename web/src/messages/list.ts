/** The repository list's health and storage columns and filters, and its virtualised table. */
import type { Messages } from './messages.ts';

export const listMessages = {
} as const satisfies Messages;
