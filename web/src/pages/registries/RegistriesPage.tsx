/** 镜像源: the registries, with add, edit, delete, 测试连接 and 拉取凭证. */
import { useState } from 'react';
import { App, Button, Dropdown, Empty, Input, Result, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { ApiOutlined, DeleteOutlined, EditOutlined, KeyOutlined, EllipsisOutlined, PlusOutlined, ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import type { Registry } from '../../api/client.ts';
import { deleteRegistry, testRegistry, type RegistryTestResult } from '../../api/registries.ts';
import { TypedConfirm } from '../../components/TypedConfirm.tsx';
import { formatTime, fromNow, objKey } from '../../format.ts';
import { keys } from '../../hooks/queryKeys.ts';
import { useRegistries } from '../../hooks/useRegistries.ts';
import { useCanWrite } from '../../hooks/useSession.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { useI18n } from '../../i18n.tsx';
import { ConnectionTag } from './ConnectionTag.tsx';
import { PullSecretModal } from './PullSecretModal.tsx';
import { RegistryDrawer } from './RegistryDrawer.tsx';
import { TestResultModal } from './TestResultModal.tsx';

export function RegistriesPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const registries = useRegistries();
  const canWrite = useCanWrite();
  const [editing, setEditing] = useState<Registry | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Registry | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [result, setResult] = useState<{ registry: Registry; result: RegistryTestResult } | null>(null);
  const [search, setSearch] = useState('');
  const [pullSecretOf, setPullSecretOf] = useState<Registry | null>(null);

  async function test(r: Registry) {
    setTesting(objKey(r));
    try {
      setResult({ registry: r, result: await testRegistry(r) });
      void queryClient.invalidateQueries({ queryKey: keys.registries });
    } catch (err) {
      message.error(<ErrorText err={err} subject={{ kind: 'Registry', name: objKey(r) }} />);
    } finally {
      setTesting(null);
    }
  }

  const needle = search.trim().toLowerCase();
  const items = (registries.data?.items ?? []).filter((r) => !needle || r.metadata.name.includes(needle) || r.spec.url.toLowerCase().includes(needle) || r.metadata.namespace.includes(needle));

  const columns: TableColumnsType<Registry> = [
    { title: t('reg.col.name'), key: 'name', render: (_, r) => <Typography.Text strong>{r.metadata.name}</Typography.Text> },
    { title: t('repo.col.namespace'), key: 'ns', render: (_, r) => r.metadata.namespace },
    {
      title: t('reg.col.url'),
      key: 'url',
      render: (_, r) => (
        <Space size={4}>
          <span className="mono">{r.spec.url}</span>
          {r.spec.plainHTTP && <Tag>HTTP</Tag>}
          {r.spec.insecure && <Tag color="orange">insecure</Tag>}
        </Space>
      ),
    },
    { title: t('reg.col.auth'), key: 'auth', render: (_, r) => (r.spec.credentials?.username ? `${r.spec.credentials.username}${r.spec.credentials.hasPassword ? ' / ••••••' : ''}` : r.spec.credentials?.hasToken ? 'token' : t('reg.anonymous')) },
    { title: t('reg.col.status'), key: 'status', render: (_, r) => <ConnectionTag r={r} /> },
    { title: t('reg.col.checked'), key: 'checked', render: (_, r) => (r.status?.lastChecked ? <Tooltip title={formatTime(r.status.lastChecked)}>{fromNow(r.status.lastChecked)}</Tooltip> : '—') },
  ];
  // 拉取凭证 only reads (anyone who sees the registry); the others write
  // (the test records the registry's status): none of those for a viewer.
  columns.push({
    title: t('common.actions'),
    key: 'actions',
    width: canWrite ? 290 : 120,
    render: (_, r) => (
      <Space>
        <Button size="small" icon={<KeyOutlined />} onClick={() => setPullSecretOf(r)} data-testid={`pull-secret-${r.metadata.name}`}>
          {t('reg.pullSecret')}
        </Button>
        {canWrite && (
          <Button size="small" icon={<ApiOutlined />} loading={testing === objKey(r)} onClick={() => void test(r)} data-testid={`test-${r.metadata.name}`}>
            {t('reg.test')}
          </Button>
        )}
        {canWrite && (
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'edit', icon: <EditOutlined />, label: t('common.edit') },
                { key: 'delete', icon: <DeleteOutlined />, label: t('common.delete'), danger: true },
              ],
              onClick: ({ key }) => (key === 'edit' ? setEditing(r) : setDeleting(r)),
            }}
          >
            <Button size="small" type="text" icon={<EllipsisOutlined />} aria-label={t('common.moreActions', { name: r.metadata.name })} data-testid={`reg-actions-${r.metadata.name}`} />
          </Dropdown>
        )}
      </Space>
    ),
  });

  return (
    <div>
      <div className="page-head">
        <div>
          <h1>{t('reg.title')}</h1>
          <p>{t('reg.subtitle')}</p>
        </div>
        {canWrite && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="add-registry">
            {t('reg.add')}
          </Button>
        )}
      </div>
      <div className="toolbar">
        <Input allowClear prefix={<SearchOutlined />} placeholder={t('common.search')} aria-label={t('common.search')} value={search} onChange={(e) => setSearch(e.target.value)} style={{ width: 280 }} />
        <div className="grow" />
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void registries.refetch()} />
      </div>
      <div className="panel">
        {registries.isError ? (
          <Result status="error" title={<ErrorText err={registries.error} prefix={t('common.loadFailed')} />} extra={<Button onClick={() => void registries.refetch()}>{t('common.retry')}</Button>} />
        ) : (
          <Table<Registry>
            rowKey={objKey}
            dataSource={items}
            loading={registries.isLoading}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            locale={{
              emptyText: (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('reg.empty')}>
                  {canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('reg.add')}</Button>}
                </Empty>
              ),
            }}
            columns={columns}
          />
        )}
      </div>
      <RegistryDrawer
        value={editing}
        onClose={() => setEditing(null)}
        onSaved={(r, created) => {
          setEditing(null);
          message.success(created ? t('reg.created', { name: r.metadata.name }) : t('common.saved'));
          void queryClient.invalidateQueries({ queryKey: keys.registries });
          void queryClient.invalidateQueries({ queryKey: keys.namespaces });
          // A new registry is checked at once, rather than reading 未检查 until someone presses 测试连接 (issue 16).
          if (created) {
            void testRegistry(r).then(
              () => queryClient.invalidateQueries({ queryKey: keys.registries }),
              () => undefined, // the row keeps 未检查; 测试连接 says why
            );
          }
        }}
      />
      <TypedConfirm
        open={deleting !== null}
        title={t('reg.deleteTitle')}
        warning={t('reg.deleteWarn')}
        prompt={t('reg.deleteTypeName', { name: deleting?.metadata.name ?? '' })}
        expected={deleting?.metadata.name ?? ''}
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await deleteRegistry(deleting);
          message.success(t('common.deleted', { name: deleting.metadata.name }));
          void queryClient.invalidateQueries({ queryKey: keys.registries });
        }}
      />
      <TestResultModal result={result} onClose={() => setResult(null)} />
      <PullSecretModal registry={pullSecretOf} onClose={() => setPullSecretOf(null)} />
    </div>
  );
}
