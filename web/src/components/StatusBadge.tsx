import { HoverTip } from './HoverTip.tsx';
import type { SyncStatus } from '../../../src/api/types.ts';
import { describeSyncFailure } from '../api/errorText.ts';
import { useI18n } from '../i18n.tsx';

const EMOJI: Record<SyncStatus, string> = { Success: '🟢', Syncing: '🔄', Failed: '🔴', Pending: '⚪' };

/** The contract's four states (docs/contract.md): 🟢 已同步, 🔄 同步中, 🔴 同步失败, ⚪ 未同步. */
export function StatusBadge({ status, message, reason }: { status: SyncStatus; message?: string | undefined; reason?: string | undefined }) {
  const { t } = useI18n();
  const label = t(`status.${status}`);
  const badge = (
    <span className={`sync-status sync-${status}`} data-status={status} aria-label={label}>
      <span className="emoji" aria-hidden>{EMOJI[status]}</span>
      <span>{label}</span>
    </span>
  );
  // Why it failed in the user's language; the server's own message after it (issue 16).
  const why = status === 'Failed' ? describeSyncFailure({ message, reason }, t) : undefined;
  return why ? <HoverTip title={<><div>{why.text}</div><div style={{ opacity: 0.75, marginTop: 4 }}>{why.detail}</div></>}>{badge}</HoverTip> : badge;
}
