import { Tooltip } from 'antd';
import type { SyncStatus } from '../../../src/api/types.ts';
import { useI18n } from '../i18n.tsx';

const EMOJI: Record<SyncStatus, string> = { Success: '🟢', Syncing: '🔄', Failed: '🔴', Pending: '⚪' };

/** The contract's four states (docs/contract.md): 🟢 已同步, 🔄 同步中, 🔴 同步失败, ⚪ 未同步. */
export function StatusBadge({ status, message }: { status: SyncStatus; message?: string | undefined }) {
  const { t } = useI18n();
  const label = t(`status.${status}`);
  const badge = (
    <span className={`sync-status sync-${status}`} data-status={status} aria-label={label}>
      <span className="emoji" aria-hidden>{EMOJI[status]}</span>
      <span>{label}</span>
    </span>
  );
  return message && status === 'Failed' ? <Tooltip title={message}>{badge}</Tooltip> : badge;
}
