/** Webhook 通知: a namespace's webhooks; add (secret shown once), 发送测试, the delivery log, delete. */
import { useState } from 'react';
import { Alert, App, Button, Empty, Result, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { DeleteOutlined, HistoryOutlined, PlusOutlined, ReloadOutlined, SendOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { deleteWebhook, testWebhook, type Webhook, type WebhookDelivery } from '../../api/webhooks.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { TypedConfirm } from '../../components/TypedConfirm.tsx';
import { formatMs, formatTime, fromNow } from '../../format.ts';
import { adminKeys, useWebhooks } from '../../hooks/useAdmin.ts';
import { useNamespaces } from '../../hooks/useNamespaces.ts';
import { useCanWrite } from '../../hooks/useSession.ts';
import { useI18n } from '../../i18n.tsx';
import { DeliveryDrawer } from './DeliveryDrawer.tsx';
import { describeDelivery, eventLabel } from './deliveryText.ts';
import { SecretOnceModal, type ShownOnce } from './SecretOnceModal.tsx';
import { WebhookCreateModal } from './WebhookCreateModal.tsx';

export function WebhooksPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const namespaces = useNamespaces();
  const [params, setParams] = useSearchParams();
  // The namespace is in the URL (?namespace=); without one, the first there is.
  const namespace = params.get('namespace') ?? namespaces.data?.[0];
  const hooks = useWebhooks(namespace);
  // Webhooks are the editors' (a receiver URL can be a secret): a viewer who comes here by URL gets no buttons.
  const canWrite = useCanWrite();
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<ShownOnce | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [logOf, setLogOf] = useState<Webhook | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [result, setResult] = useState<{ name: string; delivery: WebhookDelivery } | null>(null);

  async function test(w: Webhook) {
    setTesting(w.metadata.name);
    setResult(null);
    try {
      setResult({ name: w.metadata.name, delivery: await testWebhook(w) });
      void queryClient.invalidateQueries({ queryKey: adminKeys.deliveries(w.metadata.namespace, w.metadata.name) });
    } catch (err) {
      message.error(<ErrorText err={err} />);
    } finally {
      setTesting(null);
    }
  }

  const columns: TableColumnsType<Webhook> = [
    { title: t('admin.hooks.col.name'), key: 'name', width: 180, render: (_, w) => <Typography.Text strong>{w.metadata.name}</Typography.Text> },
    { title: t('admin.hooks.col.url'), key: 'url', ellipsis: true, render: (_, w) => <Tooltip title={w.spec.url}><span className="mono">{w.spec.url}</span></Tooltip> },
    {
      title: t('admin.hooks.col.events'),
      key: 'events',
      width: 220,
      render: (_, w) => (w.spec.events?.length ? <Space size={[4, 4]} wrap>{w.spec.events.map((e) => <Tag key={e}>{eventLabel(e, t)}</Tag>)}</Space> : <Typography.Text type="secondary">{t('admin.hooks.allEvents')}</Typography.Text>),
    },
    { title: t('admin.hooks.col.created'), key: 'created', width: 140, render: (_, w) => (w.metadata.creationTimestamp ? <Tooltip title={formatTime(w.metadata.creationTimestamp)}>{fromNow(w.metadata.creationTimestamp)}</Tooltip> : t('common.none')) },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 330,
      render: (_, w) => (
        <Space>
          <Button size="small" icon={<SendOutlined />} loading={testing === w.metadata.name} onClick={() => void test(w)} data-testid={`hook-test-${w.metadata.name}`}>
            {t('admin.hooks.test')}
          </Button>
          <Button size="small" icon={<HistoryOutlined />} onClick={() => setLogOf(w)} data-testid={`hook-log-${w.metadata.name}`}>
            {t('admin.hooks.deliveries')}
          </Button>
          <Button size="small" danger icon={<DeleteOutlined />} onClick={() => setDeleting(w)} data-testid={`hook-delete-${w.metadata.name}`}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    },
  ];

  const failure = result ? describeDelivery(result.delivery, t) : undefined;
  return (
    <div>
      <div className="page-head">
        <div>
          <h1>{t('admin.hooks.title')}</h1>
          <p>{t('admin.hooks.subtitle')}</p>
        </div>
        {canWrite && (
          <Button type="primary" icon={<PlusOutlined />} disabled={namespace === undefined} onClick={() => setCreating(true)} data-testid="create-webhook">
            {t('admin.hooks.create')}
          </Button>
        )}
      </div>
      <div className="toolbar">
        <Select
          aria-label={t('admin.hooks.namespace')}
          data-testid="hook-ns"
          style={{ minWidth: 200 }}
          prefix={`${t('admin.hooks.namespace')}:`}
          value={namespace}
          loading={namespaces.isLoading}
          onChange={(v: string) => {
            setResult(null);
            setParams({ namespace: v }, { replace: true });
          }}
          options={(namespaces.data ?? []).map((n) => ({ value: n, label: n }))}
          showSearch={{ optionFilterProp: 'label' }}
          popupMatchSelectWidth={false}
        />
        <div className="grow" />
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void hooks.refetch()} />
      </div>
      {result && (
        <Alert
          data-testid="hook-test-result"
          style={{ marginBottom: 12 }}
          type={failure ? 'error' : 'success'}
          showIcon
          closable={{ onClose: () => setResult(null) }}
          title={
            failure ? (
              <span title={failure.detail}>{t('admin.hooks.testFailed', { name: result.name, reason: failure.text })}</span>
            ) : (
              t('admin.hooks.testOk', { name: result.name, code: result.delivery.statusCode ?? '', ms: formatMs(result.delivery.durationMs) })
            )
          }
        />
      )}
      <div className="panel">
        {namespaces.isSuccess && namespace === undefined ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('admin.hooks.noNamespace')} />
        ) : hooks.isError ? (
          <Result status="error" title={<ErrorText err={hooks.error} prefix={t('common.loadFailed')} />} extra={<Button onClick={() => void hooks.refetch()}>{t('common.retry')}</Button>} />
        ) : (
          <Table<Webhook>
            rowKey={(w) => w.metadata.name}
            dataSource={hooks.data ?? []}
            loading={hooks.isLoading}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            tableLayout="fixed"
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('admin.hooks.empty')} /> }}
            columns={columns}
          />
        )}
      </div>
      <WebhookCreateModal
        namespace={creating && namespace !== undefined ? namespace : null}
        onClose={() => setCreating(false)}
        onCreated={(w, secret) => {
          setCreating(false);
          message.success(t('admin.hooks.created', { name: w.metadata.name }));
          setShown({ title: t('admin.hooks.createdTitle', { name: w.metadata.name }), label: t('admin.hooks.secret'), warning: t('admin.hooks.secretWarn'), value: secret });
          void queryClient.invalidateQueries({ queryKey: adminKeys.webhooks(w.metadata.namespace) });
        }}
      />
      <SecretOnceModal shown={shown} onClose={() => setShown(null)} />
      <DeliveryDrawer webhook={logOf} onClose={() => setLogOf(null)} />
      <TypedConfirm
        open={deleting !== null}
        title={t('admin.hooks.deleteTitle')}
        warning={t('admin.hooks.deleteWarn')}
        prompt={t('admin.hooks.deleteType', { name: deleting?.metadata.name ?? '' })}
        expected={deleting?.metadata.name ?? ''}
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await deleteWebhook(deleting);
          message.success(t('common.deleted', { name: deleting.metadata.name }));
          if (result?.name === deleting.metadata.name) setResult(null);
          void queryClient.invalidateQueries({ queryKey: adminKeys.webhooks(deleting.metadata.namespace) });
        }}
      />
    </div>
  );
}
