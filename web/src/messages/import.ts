/** Batch add (批量添加): paste or upload, preview, create; export as YAML. */
import type { Messages } from './messages.ts';

export const importMessages = {
} as const satisfies Messages;
