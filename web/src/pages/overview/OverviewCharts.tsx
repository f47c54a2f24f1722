/**
 * The overview's four charts (@ant-design/plots, G2 underneath). This module
 * is the only one that imports the chart library, and only OverviewPage
 * imports it, so the charts load with the overview's lazy chunk and never
 * with the list's first load (issue 16; web/vite.config.ts keeps the library
 * out of the shared vendor chunk).
 */
import { Area, Bar, Column, Pie } from '@ant-design/plots';
import { Empty } from 'antd';
import dayjs from 'dayjs';
import type { OverviewBucket } from '../../api/overview.ts';
import type { StorageReport } from '../../api/storage.ts';
import { useI18n } from '../../i18n.tsx';
import { useNumbers } from '../../hooks/useNumbers.ts';

const HEIGHT = 240;

/** Bucket starts as the axis shows them: the hour within a day, the day and hour over a week. */
function timeLabel(bucketSeconds: number): (at: string) => string {
  const format = bucketSeconds >= 6 * 3600 ? 'MM-DD HH:mm' : 'HH:mm';
  return (at) => dayjs(at).format(format);
}

/** 同步状态分布: a donut of the status counts, the total in its hole. */
export function StatusDonut({ rows }: { rows: { key: string; label: string; value: number; color: string }[] }) {
  const { t } = useI18n();
  const { count } = useNumbers();
  if (rows.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('overview.noRepositories')} />;
  const total = rows.reduce((n, r) => n + r.value, 0);
  return (
    <Pie
      height={HEIGHT}
      animate={false}
      data={rows}
      angleField="value"
      colorField="label"
      innerRadius={0.62}
      scale={{ color: { domain: rows.map((r) => r.label), range: rows.map((r) => r.color) } }}
      label={{ text: (d: { value: number }) => count(d.value), position: 'outside' }}
      legend={{ color: { position: 'right', layout: { justifyContent: 'center' } } }}
      tooltip={{ items: [{ channel: 'y', valueFormatter: count }] }}
      annotations={[{ type: 'text', style: { text: count(total), x: '50%', y: '50%', textAlign: 'center', textBaseline: 'middle', fontSize: 26, fontWeight: 600 } }]}
    />
  );
}

/** 同步与失败: the runs that finished in each bucket, stacked by result. */
export function RunsChart({ buckets, bucketSeconds }: { buckets: OverviewBucket[]; bucketSeconds: number }) {
  const { t } = useI18n();
  const { count } = useNumbers();
  const label = timeLabel(bucketSeconds);
  const series = [
    { field: 'succeeded', name: t('overview.series.succeeded'), color: '#52c41a' },
    { field: 'failed', name: t('overview.series.failed'), color: '#ff4d4f' },
    { field: 'interrupted', name: t('overview.series.interrupted'), color: '#faad14' },
  ] as const;
  const data = buckets.flatMap((b) => series.map((s) => ({ at: b.at, kind: s.name, value: b[s.field] })));
  return (
    <Column
      height={HEIGHT}
      animate={false}
      data={data}
      xField="at"
      yField="value"
      colorField="kind"
      stack
      scale={{ color: { domain: series.map((s) => s.name), range: series.map((s) => s.color) } }}
      axis={{ x: { labelFormatter: label, labelAutoHide: true, labelAutoRotate: false, title: false }, y: { labelFormatter: count, title: false } }}
      tooltip={{ title: (d: { at: string }) => label(d.at), items: [{ channel: 'y', valueFormatter: count }] }}
      legend={{ color: { position: 'top' } }}
    />
  );
}

/** 传输量变化: the bytes the runs of each bucket moved. */
export function BytesChart({ buckets, bucketSeconds }: { buckets: OverviewBucket[]; bucketSeconds: number }) {
  const { t } = useI18n();
  const { bytes } = useNumbers();
  const label = timeLabel(bucketSeconds);
  return (
    <Area
      height={HEIGHT}
      data={buckets.map((b) => ({ at: b.at, bytes: b.bytesMoved }))}
      xField="at"
      yField="bytes"
      style={{ fill: 'linear-gradient(-90deg, white 0%, #1677ff 100%)', fillOpacity: 0.6 }}
      line={{ style: { stroke: '#1677ff', strokeWidth: 2 } }}
      axis={{ x: { labelFormatter: label, labelAutoHide: true, labelAutoRotate: false, title: false }, y: { labelFormatter: bytes, title: false } }}
      tooltip={{ title: (d: { at: string }) => label(d.at), items: [{ channel: 'y', name: t('overview.series.bytes'), valueFormatter: bytes }] }}
    />
  );
}

/** 各命名空间存储: bytes at the source and in the mirrors, per namespace. */
export function StorageChart({ namespaces }: { namespaces: StorageReport['namespaces'] }) {
  const { t } = useI18n();
  const { bytes } = useNumbers();
  if (namespaces.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('overview.noStorage')} />;
  const source = t('overview.series.source');
  const mirror = t('overview.series.mirror');
  const data = namespaces.flatMap((n) => [
    { ns: n.name, kind: source, bytes: n.source.bytes },
    { ns: n.name, kind: mirror, bytes: n.mirror.bytes },
  ]);
  return (
    <Bar
      height={HEIGHT}
      animate={false}
      data={data}
      xField="ns"
      yField="bytes"
      colorField="kind"
      group
      scale={{ color: { domain: [source, mirror], range: ['#8c9eff', '#36cfc9'] } }}
      axis={{ x: { title: false }, y: { labelFormatter: bytes, title: false } }}
      tooltip={{ items: [{ channel: 'y', valueFormatter: bytes }] }}
      legend={{ color: { position: 'top' } }}
    />
  );
}
