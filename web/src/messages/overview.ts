/** The overview (概览) dashboard and the storage view. */
import type { Messages } from './messages.ts';

export const overviewMessages = {
} as const satisfies Messages;
