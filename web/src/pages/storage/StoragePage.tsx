/**
 * 存储: what the images take at their sources and in their mirrors (shared
 * blobs once, `GET /storage`), per namespace with its warning threshold,
 * per registry, and the biggest images. Admins set or clear a namespace's
 * threshold; everyone else sees it read-only.
 */
import { useState } from 'react';
import { App, Button, Card, Result, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { EditOutlined, ReloadOutlined, WarningOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { putStorageWarning, type StorageReport, type Usage } from '../../api/storage.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { overviewKeys, useIsAdmin, useStorage } from '../../hooks/useOverview.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';
import { useNumbers } from '../../hooks/useNumbers.ts';
import { type WarningTarget, WarningModal } from './WarningModal.tsx';

/** The biggest images listed. */
const BIGGEST = 20;

type NamespaceRow = StorageReport['namespaces'][number];
type RegistryRow = StorageReport['registries'][number];
type RepositoryRow = StorageReport['repositories'][number];

/** Bytes, the blob count under them, the exact byte count on hover; `testId` lets the test read what is shown. */
function UsageCell({ u, testId }: { u: Usage; testId: string }) {
  const { t } = useI18n();
  const { count, bytes } = useNumbers();
  return (
    <Tooltip title={t('storage.exactBytes', { n: count(u.bytes) })}>
      <div>
        <div style={{ fontWeight: 600 }} data-testid={testId}>{bytes(u.bytes)}</div>
        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid={`${testId}-blobs`}>{t('storage.blobs', { n: count(u.blobs) })}</Typography.Text>
      </div>
    </Tooltip>
  );
}

export function StoragePage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { bytes } = useNumbers();
  const queryClient = useQueryClient();
  const storage = useStorage(BIGGEST);
  const isAdmin = useIsAdmin();
  const [editing, setEditing] = useState<WarningTarget | null>(null);
  const report = storage.data;

  const refresh = () => void queryClient.invalidateQueries({ queryKey: overviewKeys.storageAll });

  async function clear(ns: string) {
    try {
      await putStorageWarning(ns, null);
      message.success(t('storage.warningCleared', { ns }));
      refresh();
    } catch (err) {
      message.error(<ErrorText err={err} />);
    }
  }

  const nsColumns: TableColumnsType<NamespaceRow> = [
    { title: t('storage.col.namespace'), key: 'name', render: (_, n) => <Typography.Text strong>{n.name}</Typography.Text> },
    { title: t('storage.col.source'), key: 'source', render: (_, n) => <UsageCell u={n.source} testId={`storage-ns-${n.name}-source`} /> },
    { title: t('storage.col.mirror'), key: 'mirror', render: (_, n) => <UsageCell u={n.mirror} testId={`storage-ns-${n.name}-mirror`} /> },
    { title: t('storage.col.threshold'), key: 'threshold', render: (_, n) => <span data-testid={`storage-ns-${n.name}-threshold`}>{n.warningBytes !== undefined ? bytes(n.warningBytes) : t('storage.noThreshold')}</span> },
    {
      title: t('storage.col.state'),
      key: 'state',
      render: (_, n) =>
        n.warningBytes === undefined ? (
          <Typography.Text type="secondary">—</Typography.Text>
        ) : n.warning ? (
          <Tooltip title={t('storage.overHint', { used: bytes(n.mirror.bytes), limit: bytes(n.warningBytes) })}>
            <Tag color="error" icon={<WarningOutlined />} data-testid={`storage-warning-${n.name}`}>{t('storage.over')}</Tag>
          </Tooltip>
        ) : (
          <Tag color="success" data-testid={`storage-ok-${n.name}`}>{t('storage.under')}</Tag>
        ),
    },
  ];
  // Settings are admin-only (PUT answers 403 to others): no button for them.
  if (isAdmin) {
    nsColumns.push({
      title: t('common.actions'),
      key: 'actions',
      width: 220,
      render: (_, n) => (
        <Space>
          <Button size="small" icon={<EditOutlined />} onClick={() => setEditing({ namespace: n.name, warningBytes: n.warningBytes })} data-testid={`storage-edit-${n.name}`}>
            {n.warningBytes !== undefined ? t('storage.editWarning') : t('storage.setWarning')}
          </Button>
          {n.warningBytes !== undefined && (
            <Button size="small" danger onClick={() => void clear(n.name)} data-testid={`storage-clear-${n.name}`}>
              {t('storage.clearWarning')}
            </Button>
          )}
        </Space>
      ),
    });
  }

  const regColumns: TableColumnsType<RegistryRow> = [
    { title: t('storage.col.registry'), key: 'name', render: (_, r) => <Typography.Text strong>{r.name}</Typography.Text> },
    { title: t('storage.col.namespace'), key: 'ns', render: (_, r) => r.namespace },
    { title: t('storage.col.source'), key: 'source', render: (_, r) => <UsageCell u={r.source} testId={`storage-reg-${r.namespace}/${r.name}-source`} /> },
    { title: t('storage.col.mirror'), key: 'mirror', render: (_, r) => <UsageCell u={r.mirror} testId={`storage-reg-${r.namespace}/${r.name}-mirror`} /> },
  ];

  const repoColumns: TableColumnsType<RepositoryRow> = [
    { title: t('storage.col.repository'), key: 'name', ellipsis: true, render: (_, r) => <Link className="mono" to={paths.repository({ metadata: { namespace: r.namespace, name: r.name } })}>{r.name}</Link> },
    { title: t('storage.col.namespace'), key: 'ns', render: (_, r) => r.namespace },
    { title: t('storage.col.source'), key: 'source', render: (_, r) => <UsageCell u={r.source} testId={`storage-repo-${r.namespace}/${r.name}-source`} /> },
    { title: t('storage.col.mirror'), key: 'mirror', render: (_, r) => <UsageCell u={r.mirror} testId={`storage-repo-${r.namespace}/${r.name}-mirror`} /> },
  ];

  return (
    <div data-testid="storage-page">
      <div className="page-head">
        <div>
          <h1>{t('storage.title')}</h1>
          <p>{t('storage.subtitle')}</p>
        </div>
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} loading={storage.isFetching} onClick={refresh} data-testid="storage-refresh" />
      </div>
      {storage.isError ? (
        <div className="panel">
          <Result status="error" title={<ErrorText err={storage.error} prefix={t('common.loadFailed')} />} extra={<Button onClick={refresh}>{t('common.retry')}</Button>} />
        </div>
      ) : (
        <Space orientation="vertical" size={12} style={{ width: '100%' }}>
          <Card size="small" title={t('storage.namespaces')} extra={!isAdmin && <Typography.Text type="secondary">{t('storage.readOnly')}</Typography.Text>}>
            <Table<NamespaceRow> size="small" rowKey="name" loading={storage.isLoading} dataSource={report?.namespaces ?? []} columns={nsColumns} pagination={false} locale={{ emptyText: t('storage.empty') }} data-testid="storage-namespaces" />
          </Card>
          <Card size="small" title={t('storage.registries')}>
            <Table<RegistryRow> size="small" rowKey={(r) => `${r.namespace}/${r.name}`} loading={storage.isLoading} dataSource={report?.registries ?? []} columns={regColumns} pagination={{ pageSize: 20, hideOnSinglePage: true }} locale={{ emptyText: t('storage.empty') }} />
          </Card>
          <Card
            size="small"
            title={t('storage.biggest')}
            extra={report && <Typography.Text type="secondary">{t('storage.biggestOf', { n: report.metadata.repositories, shown: report.repositories.length })}</Typography.Text>}
          >
            <Table<RepositoryRow> size="small" rowKey={(r) => `${r.namespace}/${r.name}`} loading={storage.isLoading} dataSource={report?.repositories ?? []} columns={repoColumns} pagination={false} locale={{ emptyText: t('storage.empty') }} />
          </Card>
        </Space>
      )}
      <WarningModal
        target={editing}
        onClose={() => setEditing(null)}
        onSaved={(ns, b) => {
          setEditing(null);
          message.success(t('storage.warningSaved', { ns, bytes: bytes(b) }));
          refresh();
        }}
      />
    </div>
  );
}
