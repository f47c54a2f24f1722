/** The window's failing and slowest repositories, each linking to its details. */
import { Card, Empty, Table, type TableColumnsType, Tooltip } from 'antd';
import { Link } from 'react-router';
import type { Overview } from '../../api/overview.ts';
import { formatMs, formatTime, fromNow } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';
import { useNumbers } from '../../hooks/useNumbers.ts';

const detailPath = (namespace: string, name: string) => paths.repository({ metadata: { namespace, name } });

function RepoLink({ namespace, name }: { namespace: string; name: string }) {
  return (
    <Link to={detailPath(namespace, name)} className="mono" data-testid={`overview-link-${namespace}/${name}`}>
      {name}
    </Link>
  );
}

/** A card holding one of the window's top lists: the image (a link to its details) and namespace first, then `columns`. */
function TopCard<T extends { namespace: string; repository: string }>({ title, testId, rows, empty, columns }: { title: string; testId: string; rows: T[]; empty: string; columns: TableColumnsType<T> }) {
  const { t } = useI18n();
  return (
    <Card size="small" title={title} data-testid={testId}>
      <Table<T>
        size="small"
        rowKey={(r) => `${r.namespace}/${r.repository}`}
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={empty} /> }}
        columns={[
          { title: t('overview.col.repository'), key: 'name', ellipsis: true, render: (_, r) => <RepoLink namespace={r.namespace} name={r.repository} /> },
          { title: t('overview.col.namespace'), key: 'ns', width: 140, ellipsis: true, render: (_, r) => r.namespace },
          ...columns,
        ]}
      />
    </Card>
  );
}

export function FailingTable({ o }: { o: Overview }) {
  const { t } = useI18n();
  const { count } = useNumbers();
  return (
    <TopCard
      title={t('overview.failing')}
      testId="overview-failing"
      rows={o.failing}
      empty={t('overview.noFailing')}
      columns={[
        { title: t('overview.col.failures'), key: 'n', width: 100, align: 'right', render: (_, r) => <span data-testid={`overview-failures-${r.namespace}/${r.repository}`}>{count(r.failures)}</span> },
        { title: t('overview.col.lastFailed'), key: 'at', width: 140, render: (_, r) => <Tooltip title={formatTime(r.lastFailedAt)}>{fromNow(r.lastFailedAt)}</Tooltip> },
      ]}
    />
  );
}

export function SlowestTable({ o }: { o: Overview }) {
  const { t } = useI18n();
  return (
    <TopCard
      title={t('overview.slowest')}
      testId="overview-slowest"
      rows={o.slowest}
      empty={t('overview.noSlowest')}
      columns={[{ title: t('overview.col.duration'), key: 'ms', width: 120, align: 'right', render: (_, r) => formatMs(r.durationMs) }]}
    />
  );
}
