/**
 * What the batch-add form holds, kept for the browser tab's life in memory
 * (not in storage: a pasted file may carry what should not outlive the tab).
 * Leaving the page through the menu and coming back finds the text as it was
 * (the console's router has no navigation blocker to ask with); closing or
 * reloading the tab asks first (the page's beforeunload guard).
 */
import type { ImportFormat } from '../../api/imports.ts';

export interface ImportDraft {
  namespace: string;
  format: ImportFormat;
  content: string;
  /** The uploaded file the content came from, if any. */
  fileName?: string | undefined;
  mirrorRegistry?: string | undefined;
  mirrorPrefix: string;
  syncInterval: string;
  skipExisting: boolean;
}

export const EMPTY_DRAFT: Omit<ImportDraft, 'namespace'> = { format: 'auto', content: '', mirrorPrefix: '', syncInterval: '', skipExisting: false };

let saved: ImportDraft | undefined;

export function loadDraft(): ImportDraft | undefined {
  return saved;
}

export function saveDraft(draft: ImportDraft | undefined): void {
  saved = draft;
}

/** Whether leaving would lose something the user typed or uploaded. */
export function isFilled(draft: ImportDraft): boolean {
  return draft.content.trim() !== '';
}
