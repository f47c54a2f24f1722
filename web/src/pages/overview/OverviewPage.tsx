/**
 * 概览: the dashboard (seed 001, issue 16). Cards with the status and
 * health counts, charts of the window's syncs, failures and bytes moved and
 * of storage by namespace, and the failing and slowest images; one
 * `GET /overview` and one `GET /storage` (namespaces only), refetched on a
 * timer while auto refresh is on.
 */
import { lazy, type ReactNode, Suspense, useState } from 'react';
import { Button, Card, Result, Select, Skeleton, Space, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { Link, useSearchParams } from 'react-router';
import { ErrorText } from '../../components/ErrorText.tsx';
import { formatTime } from '../../format.ts';
import { type RefreshEvery, useOverview, useStorage } from '../../hooks/useOverview.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';
import { statusLabel } from './labels.ts';
import { STATUS_COLOR, STATUS_ORDER, WINDOWS, type WindowKey, fillBuckets, isWindowKey, ordered } from './series.ts';
import { StatCards } from './StatCards.tsx';
import { FailingTable, SlowestTable } from './TopTables.tsx';

/**
 * The charts arrive in a chunk of their own (the chart library is about
 * 480 KB compressed): the cards and tables show as soon as the figures do,
 * each chart's card holds a skeleton until the library is in.
 */
const charts = () => import('./OverviewCharts.tsx');
const StatusDonut = lazy(async () => ({ default: (await charts()).StatusDonut }));
const RunsChart = lazy(async () => ({ default: (await charts()).RunsChart }));
const BytesChart = lazy(async () => ({ default: (await charts()).BytesChart }));
const StorageChart = lazy(async () => ({ default: (await charts()).StorageChart }));

/** Two charts abreast from about 950 px of content up (a CSS grid, as the cards). */
const GRID = { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(460px, 1fr))', gap: 12 } as const;

const REFRESH_CHOICES = [0, 10, 30, 60] as const;

function ChartCard({ title, testId, children, extra }: { title: string; testId: string; children: ReactNode; extra?: ReactNode }) {
  return (
    <Card size="small" title={title} extra={extra} data-testid={testId} styles={{ body: { minHeight: 256 } }}>
      <Suspense fallback={<Skeleton active paragraph={{ rows: 5 }} />}>{children}</Suspense>
    </Card>
  );
}

export function OverviewPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const windowParam = params.get('window');
  const windowKey = isWindowKey(windowParam) ? windowParam : '24h';
  const [refreshSeconds, setRefreshSeconds] = useState<number>(30);
  const every: RefreshEvery = refreshSeconds > 0 ? refreshSeconds * 1000 : false;
  const { window, bucket } = WINDOWS[windowKey];
  const overview = useOverview(window, bucket, every);
  const storage = useStorage(0, every);
  const o = overview.data;

  const setWindow = (k: WindowKey) => {
    const next = new URLSearchParams(params);
    if (k === '24h') next.delete('window');
    else next.set('window', k);
    setParams(next, { replace: true });
  };

  return (
    <div data-testid="overview-page">
      <div className="page-head">
        <div>
          <h1>{t('overview.title')}</h1>
          <p>{t('overview.subtitle')}</p>
        </div>
        <Space wrap>
          {/* Two pressed-or-not buttons rather than antd's Segmented, which would add itself to the shared antd chunk every first load fetches. */}
          <Space.Compact aria-label={t('overview.window')} role="group" data-testid="overview-window">
            {(Object.keys(WINDOWS) as WindowKey[]).map((k) => (
              <Button key={k} type={k === windowKey ? 'primary' : 'default'} aria-pressed={k === windowKey} onClick={() => setWindow(k)} data-testid={`overview-window-${k}`}>
                {t(k === '24h' ? 'overview.window.24h' : 'overview.window.7d')}
              </Button>
            ))}
          </Space.Compact>
          <Select<number>
            aria-label={t('overview.autoRefresh')}
            value={refreshSeconds}
            onChange={setRefreshSeconds}
            style={{ width: 170 }}
            data-testid="overview-auto-refresh"
            options={REFRESH_CHOICES.map((s) => ({ value: s, label: s === 0 ? t('overview.refreshOff') : t('overview.refreshEvery', { s }) }))}
          />
          <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} loading={overview.isFetching} onClick={() => { void overview.refetch(); void storage.refetch(); }} data-testid="overview-refresh" />
        </Space>
      </div>
      {overview.isError && !o ? (
        <div className="panel">
          <Result status="error" title={<ErrorText err={overview.error} prefix={t('common.loadFailed')} />} extra={<Button onClick={() => void overview.refetch()}>{t('common.retry')}</Button>} />
        </div>
      ) : !o ? (
        <div className="panel" style={{ padding: 24 }}>
          <Skeleton active paragraph={{ rows: 8 }} />
        </div>
      ) : (
        <Space orientation="vertical" size={12} style={{ width: '100%' }}>
          <StatCards o={o} />
          <div style={GRID}>
            <ChartCard title={t('overview.chart.status')} testId="chart-status">
              <StatusDonut rows={ordered(o.repositories.byStatus, STATUS_ORDER).map(([k, value]) => ({ key: k, label: statusLabel(k, t), value, color: STATUS_COLOR[k] ?? '#d9d9d9' }))} />
            </ChartCard>
            <ChartCard title={t('overview.chart.runs')} testId="chart-runs">
              <RunsChart buckets={fillBuckets(o)} bucketSeconds={o.window.bucketSeconds} />
            </ChartCard>
            <ChartCard title={t('overview.chart.bytes')} testId="chart-bytes">
              <BytesChart buckets={fillBuckets(o)} bucketSeconds={o.window.bucketSeconds} />
            </ChartCard>
            <ChartCard title={t('overview.chart.storage')} testId="chart-storage" extra={<Link to={paths.storage}>{t('overview.storageLink')}</Link>}>
              {storage.isError ? (
                <ErrorText err={storage.error} prefix={t('common.loadFailed')} />
              ) : storage.data ? (
                <StorageChart namespaces={storage.data.namespaces} />
              ) : (
                <Skeleton active />
              )}
            </ChartCard>
            <FailingTable o={o} />
            <SlowestTable o={o} />
          </div>
          <Typography.Text type="secondary" data-testid="overview-updated">
            {t('overview.updatedAt', { time: formatTime(o.window.until) })}
          </Typography.Text>
        </Space>
      )}
    </div>
  );
}
