import { useState } from 'react';
import { Alert, Button, Empty, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import type { Repository, SyncRun } from '../../api/client.ts';
import { formatBytes, formatMs, formatTime, syncStatus } from '../../format.ts';
import { useSyncRuns } from '../../hooks/useSyncRuns.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { useI18n } from '../../i18n.tsx';
import { PHASE_COLOR } from './runPhase.ts';
import { RunLogDrawer } from './RunLogDrawer.tsx';

/** 同步历史: the newest runs (polled while a sync runs); a click opens the run's log. */
export function HistoryTab({ r }: { r: Repository }) {
  const { t } = useI18n();
  const runs = useSyncRuns(r.metadata.namespace, r.metadata.name, { enabled: true, syncing: syncStatus(r) === 'Syncing' });
  const [open, setOpen] = useState<SyncRun | null>(null);
  const refresh = () => void runs.refetch();
  if (runs.error) return <Alert type="error" showIcon title={<ErrorText err={runs.error} prefix={t('common.loadFailed')} />} action={<Button size="small" onClick={refresh}>{t('common.retry')}</Button>} />;
  return (
    <>
      <Table<SyncRun>
        size="small"
        rowKey={(x) => x.metadata.name}
        loading={runs.isLoading}
        dataSource={runs.data?.items ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('run.empty')} /> }}
        rowClassName={() => 'clickable-row'}
        onRow={(run) => ({ onClick: () => setOpen(run), onKeyDown: (e) => { if (e.key === 'Enter') setOpen(run); }, tabIndex: 0, 'data-testid': `run-${run.metadata.name}` }) as React.HTMLAttributes<HTMLElement>}
        title={() => (
          <Space style={{ width: '100%', justifyContent: 'flex-end' }}>
            <Button size="small" icon={<ReloadOutlined />} onClick={refresh}>{t('common.refresh')}</Button>
          </Space>
        )}
        columns={[
          { title: t('run.name'), key: 'name', render: (_, x) => <Typography.Link className="mono">{x.metadata.name}</Typography.Link> },
          { title: t('run.trigger'), key: 'trigger', render: (_, x) => `${t(`run.trigger.${x.spec.trigger}`)}${x.spec.attempt > 1 ? ` #${x.spec.attempt}` : ''}` },
          { title: t('run.start'), key: 'start', render: (_, x) => formatTime(x.status.startTime) },
          { title: t('run.duration'), key: 'duration', render: (_, x) => (x.status.completionTime ? formatMs(Date.parse(x.status.completionTime) - Date.parse(x.status.startTime)) : '…') },
          {
            title: t('run.result'),
            key: 'result',
            render: (_, x) => (
              <Tooltip title={x.status.error}>
                <Tag color={PHASE_COLOR[x.status.phase]} data-phase={x.status.phase}>{t(`run.phase.${x.status.phase}`)}</Tag>
              </Tooltip>
            ),
          },
          { title: t('run.bytes'), key: 'bytes', render: (_, x) => formatBytes(x.status.bytesMoved) },
          { title: t('run.layers'), key: 'layers', render: (_, x) => t('run.layersAddedRemoved', { a: x.status.layersAdded?.length ?? 0, r: x.status.layersRemoved?.length ?? 0 }) },
        ]}
      />
      <RunLogDrawer repo={r} run={open} onClose={() => setOpen(null)} />
    </>
  );
}
