/** 投递记录: a webhook's newest delivery attempts (time, event, attempt, status code, duration, result, next retry). */
import { Drawer, Empty, Result, Table, Tag, Tooltip } from 'antd';
import type { TableColumnsType } from 'antd';
import type { Webhook, WebhookDelivery } from '../../api/webhooks.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { formatMs, formatTime } from '../../format.ts';
import { useDeliveries } from '../../hooks/useAdmin.ts';
import { useI18n } from '../../i18n.tsx';
import { describeDelivery, eventLabel } from './deliveryText.ts';

export function DeliveryResult({ d }: { d: WebhookDelivery }) {
  const { t } = useI18n();
  const failure = describeDelivery(d, t);
  if (!failure) return <Tag color="success">{t('admin.hooks.ok')}</Tag>;
  return (
    <Tooltip title={failure.detail}>
      <Tag color="error">{t('admin.hooks.failed')}</Tag>
      <span data-testid="delivery-error">{failure.text}</span>
    </Tooltip>
  );
}

export function DeliveryDrawer({ webhook, onClose }: { webhook: Webhook | null; onClose: () => void }) {
  const { t } = useI18n();
  const deliveries = useDeliveries(webhook);
  const columns: TableColumnsType<WebhookDelivery> = [
    { title: t('admin.hooks.col.time'), key: 'time', width: 180, render: (_, d) => <span className="mono">{formatTime(d.time)}</span> },
    { title: t('admin.hooks.col.type'), key: 'type', width: 120, render: (_, d) => <Tooltip title={d.type}>{eventLabel(d.type, t)}</Tooltip> },
    { title: t('admin.hooks.col.attempt'), key: 'attempt', width: 80, align: 'right', render: (_, d) => d.attempt },
    { title: t('admin.hooks.col.status'), key: 'status', width: 90, align: 'right', render: (_, d) => <span className="mono" data-testid="delivery-status">{d.statusCode ?? t('common.none')}</span> },
    { title: t('admin.hooks.col.duration'), key: 'duration', width: 90, align: 'right', render: (_, d) => formatMs(d.durationMs) },
    { title: t('admin.hooks.col.result'), key: 'result', render: (_, d) => <DeliveryResult d={d} /> },
    { title: t('admin.hooks.col.retry'), key: 'retry', width: 180, render: (_, d) => (d.retryAt ? <span className="mono">{formatTime(d.retryAt)}</span> : t('common.none')) },
  ];
  return (
    <Drawer open={webhook !== null} onClose={onClose} size={960} title={t('admin.hooks.deliveriesTitle', { name: webhook?.metadata.name ?? '' })} destroyOnHidden>
      {deliveries.isError ? (
        <Result status="error" title={<ErrorText err={deliveries.error} prefix={t('common.loadFailed')} />} />
      ) : (
        <Table<WebhookDelivery>
          rowKey={(d) => `${d.eventId}|${d.attempt}|${d.time}`}
          dataSource={deliveries.data ?? []}
          loading={deliveries.isLoading}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          tableLayout="fixed"
          size="small"
          data-testid="delivery-log"
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('admin.hooks.deliveriesEmpty')} /> }}
          columns={columns}
        />
      )}
    </Drawer>
  );
}
