import { HoverTip } from '../../components/HoverTip.tsx';
import type { RepositoryHealth } from '../../../../src/api/types.ts';
import { formatTime, fromNow } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';

type HealthState = NonNullable<RepositoryHealth['state']> | 'Unknown';

const EMOJI: Record<HealthState, string> = { Healthy: '🟢', Degraded: '🟡', Unhealthy: '🔴', Unknown: '⚪' };

/**
 * `status.health` (src/scheduler/health.ts): the state in the user's
 * language, and on hover what it means, each side's answer, when it was
 * checked and the checker's own words as a detail (issue 16: no English
 * server text as the text itself). A sync sets `pullable` without a state:
 * that is Unknown until the health checker has looked.
 */
export function HealthBadge({ health }: { health: RepositoryHealth | undefined }) {
  const { t } = useI18n();
  const state: HealthState = health?.state ?? 'Unknown';
  const label = t(`list.health.${state}`);
  const side = (name: 'source' | 'mirror', s: RepositoryHealth['source']) =>
    s && (
      <div>
        {t(`list.health.${name}`)}：{t(s.ok ? 'list.health.ok' : 'list.health.notOk')}
      </div>
    );
  const title = (
    <div data-testid="health-tooltip">
      <div>{t(`list.health.why.${state}`)}</div>
      {side('source', health?.source)}
      {side('mirror', health?.mirror)}
      {health?.checkedAt && <div>{t('list.health.checkedAt', { time: `${formatTime(health.checkedAt)} (${fromNow(health.checkedAt)})` })}</div>}
      {health?.message && <div style={{ opacity: 0.75, marginTop: 4 }}>{health.message}</div>}
    </div>
  );
  return (
    <HoverTip title={title}>
      <span className={`health-state health-${state}`} data-health={state} aria-label={label}>
        <span className="emoji" aria-hidden>{EMOJI[state]}</span> <span>{label}</span>
      </span>
    </HoverTip>
  );
}
