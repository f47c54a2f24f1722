/** The overview's cards: how many images, by sync status and by health, and the window's syncs, failures and bytes. */
import { Badge, Card } from 'antd';
import type { Overview } from '../../api/overview.ts';
import { useI18n } from '../../i18n.tsx';
import { healthLabel, statusLabel } from './labels.ts';
import { HEALTH_COLOR, HEALTH_ORDER, STATUS_COLOR, STATUS_ORDER, ordered } from './series.ts';
import { useNumbers } from '../../hooks/useNumbers.ts';

/** Four cards abreast on a wide screen, fewer as it narrows (a CSS grid: no antd Row/Col in the shared antd chunk for this). */
const GRID = { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(240px, 1fr))', gap: 12 } as const;
const ROW = { display: 'flex', justifyContent: 'space-between', lineHeight: '26px' } as const;

/** One count with its coloured dot; `testId` lets the test read the number the page shows. */
function Count({ color, label, value, testId }: { color: string; label: string; value: string; testId: string }) {
  return (
    <div style={ROW}>
      <Badge color={color} text={label} />
      <span style={{ fontWeight: 600 }} data-testid={testId}>{value}</span>
    </div>
  );
}

export function StatCards({ o }: { o: Overview }) {
  const { t } = useI18n();
  const { count, bytes } = useNumbers();
  // Every known status shows, zeros too, so the cards do not reflow as figures change.
  const statuses = [...new Set([...STATUS_ORDER.filter((k) => k !== 'Unknown' || o.repositories.byStatus[k]), ...ordered(o.repositories.byStatus, STATUS_ORDER).map(([k]) => k)])];
  const health = [...new Set([...HEALTH_ORDER, ...ordered(o.repositories.byHealth, HEALTH_ORDER).map(([k]) => k)])];
  return (
    <div style={GRID}>
      <Card size="small" title={t('overview.card.repositories')}>
        <div style={{ fontSize: 32, fontWeight: 600, lineHeight: '48px' }} data-testid="overview-total">{count(o.repositories.total)}</div>
      </Card>
      <Card size="small" title={t('overview.card.status')}>
        {statuses.map((k) => (
          <Count key={k} color={STATUS_COLOR[k] ?? '#d9d9d9'} label={statusLabel(k, t)} value={count(o.repositories.byStatus[k] ?? 0)} testId={`overview-status-${k}`} />
        ))}
      </Card>
      <Card size="small" title={t('overview.card.health')}>
        {health.map((k) => (
          <Count key={k} color={HEALTH_COLOR[k] ?? '#d9d9d9'} label={healthLabel(k, t)} value={count(o.repositories.byHealth[k] ?? 0)} testId={`overview-health-${k}`} />
        ))}
      </Card>
      <Card size="small" title={t('overview.inWindow')}>
        <Count color="#1677ff" label={t('overview.card.runs')} value={count(o.runs.total)} testId="overview-runs-total" />
        <Count color="#ff4d4f" label={t('overview.card.runsFailed')} value={count(o.runs.failed)} testId="overview-runs-failed" />
        <Count color="#36cfc9" label={t('overview.card.bytesMoved')} value={bytes(o.runs.bytesMoved)} testId="overview-bytes-moved" />
      </Card>
    </div>
  );
}
