/** 审计日志: who changed what, filtered and paged by the server, newest first; the filters live in the URL. */
import { Button, DatePicker, Empty, Input, Result, Select, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { ClearOutlined, ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { AUDIT_KINDS, AUDIT_VERBS, type AuditEntry } from '../../api/audit.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { formatTime } from '../../format.ts';
import { useAuditLog } from '../../hooks/useAdmin.ts';
import { useNamespaces } from '../../hooks/useNamespaces.ts';
import { useSearchParam } from '../../hooks/useSearchParam.ts';
import { type MessageKey, useI18n } from '../../i18n.tsx';
import { useAuditFilter } from './useAuditFilter.ts';

const VERB_COLOR: Readonly<Record<string, string>> = { create: 'green', update: 'blue', patch: 'blue', delete: 'red', sync: 'cyan', test: 'purple' };

/** A kind's word; a kind the console does not know yet shows as the server names it. */
function kindLabel(kind: string, t: (k: MessageKey) => string): string {
  return (AUDIT_KINDS as readonly string[]).includes(kind) ? t(`admin.kind.${kind as (typeof AUDIT_KINDS)[number]}`) : kind;
}

function verbLabel(verb: string, t: (k: MessageKey) => string): string {
  return (AUDIT_VERBS as readonly string[]).includes(verb) ? t(`admin.verb.${verb as AuditEntry['verb']}`) : verb;
}

export function AuditPage() {
  const { t } = useI18n();
  const { filter, set, clear } = useAuditFilter();
  const user = useSearchParam('user');
  const namespaces = useNamespaces();
  const log = useAuditLog(filter);
  const items = log.data?.pages.flatMap((p) => p.items) ?? [];
  const total = log.data?.pages[0]?.totalCount;
  const range: [Dayjs | null, Dayjs | null] | null = filter.since || filter.until ? [filter.since ? dayjs(filter.since) : null, filter.until ? dayjs(filter.until) : null] : null;

  const columns: TableColumnsType<AuditEntry> = [
    { title: t('admin.audit.col.time'), key: 'time', width: 190, render: (_, e) => <span className="mono">{formatTime(e.time)}</span> },
    { title: t('admin.audit.col.user'), key: 'user', width: 200, ellipsis: true, render: (_, e) => <Typography.Text strong>{e.user}</Typography.Text> },
    { title: t('admin.audit.col.verb'), key: 'verb', width: 110, render: (_, e) => <Tag color={VERB_COLOR[e.verb]}>{verbLabel(e.verb, t)}</Tag> },
    { title: t('admin.audit.col.kind'), key: 'kind', width: 150, render: (_, e) => kindLabel(e.kind, t) },
    { title: t('admin.audit.col.namespace'), key: 'ns', width: 180, ellipsis: true, render: (_, e) => e.namespace || t('common.none') },
    // The server's short description of the change (English, never a secret) is the name's tooltip, not a column.
    { title: t('admin.audit.col.name'), key: 'name', ellipsis: true, render: (_, e) => (e.detail ? <Tooltip title={e.detail}><span>{e.name}</span></Tooltip> : e.name) },
  ];
  const anyOption = { value: '', label: t('admin.audit.any') };

  return (
    <div>
      <div className="page-head">
        <div>
          <h1>{t('admin.audit.title')}</h1>
          <p>{t('admin.audit.subtitle')}</p>
        </div>
      </div>
      <div className="toolbar" style={{ flexWrap: 'wrap', rowGap: 8 }}>
        <Input allowClear prefix={<SearchOutlined />} placeholder={t('admin.audit.userPlaceholder')} aria-label={t('admin.audit.user')} value={user.input} onChange={(e) => user.setInput(e.target.value)} style={{ width: 220 }} />
        <Select aria-label={t('admin.audit.verb')} style={{ width: 130 }} value={filter.verb ?? ''} onChange={(v: string) => set({ verb: v })} options={[anyOption, ...AUDIT_VERBS.map((v) => ({ value: v, label: verbLabel(v, t) }))]} prefix={`${t('admin.audit.verb')}:`} />
        <Select aria-label={t('admin.audit.kind')} style={{ width: 170 }} value={filter.kind ?? ''} onChange={(v: string) => set({ kind: v })} options={[anyOption, ...AUDIT_KINDS.map((k) => ({ value: k, label: kindLabel(k, t) }))]} prefix={`${t('admin.audit.kind')}:`} popupMatchSelectWidth={false} />
        <Select
          aria-label={t('admin.audit.namespace')}
          style={{ width: 200 }}
          value={filter.namespace ?? ''}
          onChange={(v: string) => set({ namespace: v })}
          options={[anyOption, ...(namespaces.data ?? []).map((n) => ({ value: n, label: n }))]}
          prefix={`${t('admin.audit.namespace')}:`}
          showSearch={{ optionFilterProp: 'label' }}
          popupMatchSelectWidth={false}
        />
        <DatePicker.RangePicker
          showTime
          allowEmpty={[true, true]}
          aria-label={t('admin.audit.range')}
          placeholder={[t('admin.audit.rangeStart'), t('admin.audit.rangeEnd')]}
          value={range}
          onChange={(v) => set({ since: v?.[0]?.toISOString() ?? '', until: v?.[1]?.toISOString() ?? '' })}
        />
        <Button icon={<ClearOutlined />} onClick={() => { user.setInput(''); clear(); }} data-testid="audit-clear">
          {t('admin.audit.clear')}
        </Button>
        <div className="grow" />
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void log.refetch()} />
      </div>
      <div className="panel">
        {log.isError ? (
          <Result status="error" title={<ErrorText err={log.error} prefix={t('common.loadFailed')} />} extra={<Button onClick={() => void log.refetch()}>{t('common.retry')}</Button>} />
        ) : (
          <Table<AuditEntry>
            rowKey={(e) => `${e.time}|${e.user}|${e.verb}|${e.kind}|${e.namespace}|${e.name}`}
            dataSource={items}
            loading={log.isLoading || (log.isFetching && !log.isFetchingNextPage)}
            pagination={false}
            tableLayout="fixed"
            data-testid="audit-table"
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('admin.audit.empty')} /> }}
            columns={columns}
            footer={() => (
              <div className="toolbar" style={{ margin: 0 }}>
                <span data-testid="audit-count">{total !== undefined ? t('admin.audit.loaded', { n: items.length, total }) : null}</span>
                <div className="grow" />
                {log.hasNextPage ? (
                  <Button loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()} data-testid="audit-more">
                    {t('admin.audit.loadMore')}
                  </Button>
                ) : (
                  items.length > 0 && <Typography.Text type="secondary">{t('admin.audit.allLoaded')}</Typography.Text>
                )}
              </div>
            )}
          />
        )}
      </div>
    </div>
  );
}
