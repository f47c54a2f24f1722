import { Badge, Typography } from 'antd';
import type { WatchState } from '../api/watch.ts';
import { useI18n } from '../i18n.tsx';
import { HoverTip } from './HoverTip.tsx';

/** 实时更新 while the watch stream is open, 正在重新连接… otherwise. */
export function LiveBadge({ state }: { state: WatchState }) {
  const { t } = useI18n();
  const label = state === 'open' ? t('top.live') : t('top.reconnecting');
  return (
    <HoverTip title={label}>
      <Badge status={state === 'open' ? 'success' : 'processing'} text={<Typography.Text type="secondary">{label}</Typography.Text>} data-testid="live-state" data-state={state} />
    </HoverTip>
  );
}
