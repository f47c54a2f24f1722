import { Space, Tag, Typography } from 'antd';
import type { RepositoryHealth } from '../../../../src/api/types.ts';
import { formatTime, fromNow } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';
import { describeHealth } from './detailText.ts';

const STATE_COLOR: Record<NonNullable<RepositoryHealth['state']>, string> = { Healthy: 'green', Degraded: 'orange', Unhealthy: 'red' };

/**
 * 可用性 in the basic info: the health check's state (or, before the first
 * check, whether the last sync could pull), when it was checked, and why in
 * the user's language, the server's words on hover.
 */
export function HealthInfo({ health }: { health: RepositoryHealth }) {
  const { t } = useI18n();
  const why = describeHealth(health, t);
  const state = health.state;
  return (
    <Space size={4} wrap data-testid="health" data-state={state ?? (health.pullable ? 'pullable' : 'not-pullable')}>
      {state ? (
        <Tag color={STATE_COLOR[state]}>{t(`detail.hl.${state}`)}</Tag>
      ) : (
        <Tag color={health.pullable ? 'green' : 'red'}>{health.pullable ? t('detail.pullable') : t('detail.notPullable')}</Tag>
      )}
      <Typography.Text type="secondary">{t('detail.hl.checkedAt', { time: `${formatTime(health.checkedAt)} (${fromNow(health.checkedAt)})` })}</Typography.Text>
      {why && <Typography.Text type={state === 'Degraded' ? 'warning' : 'danger'} title={why.detail} data-testid="health-message">{why.text}</Typography.Text>}
    </Space>
  );
}
