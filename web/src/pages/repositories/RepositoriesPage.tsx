/** 镜像管理: the live, infinitely scrolled (virtual) repository list with search, namespace, status and health filters, and row actions. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Button, Input, Select, Space, Table, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined, ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import type { Repository } from '../../api/client.ts';
import { ConsoleError } from '../../api/errorText.ts';
import { batchDeleteRepositories, deleteRepository, syncRepository } from '../../api/repositories.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { LiveBadge } from '../../components/LiveBadge.tsx';
import { NamespaceSelect } from '../../components/NamespaceSelect.tsx';
import { lazyDialog } from '../../components/lazyDialog.tsx';
import { objKey, registryHost } from '../../format.ts';
import { keys } from '../../hooks/queryKeys.ts';
import { useInfiniteScroll } from '../../hooks/useInfiniteScroll.ts';
import { useLiveRepositoryList } from '../../hooks/useLiveRepositoryList.ts';
import { useRegistries } from '../../hooks/useRegistries.ts';
import { useSearchParam } from '../../hooks/useSearchParam.ts';
import { useCanWrite } from '../../hooks/useSession.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';
import { RepositoryImportActions } from '../import/RepositoryImportActions.tsx';
import { RepositoryListEmpty } from './RepositoryListEmpty.tsx';
import { RepositoryListFooter } from './RepositoryListFooter.tsx';
import { LIST_FILTERS, fieldSelectorOf, readFilters } from './listFilters.ts';
import { MIN_TABLE_WIDTH, useRepositoryColumns, type RowAction } from './useRepositoryColumns.tsx';
import { useTableBox } from './useTableBox.ts';

const rowClassName = () => 'clickable-row';

// Closed when the list first renders: each loads the first time it opens.
const RepositoryDrawer = lazyDialog(async () => (await import('./RepositoryDrawer.tsx')).RepositoryDrawer, (p) => p.open);
const EditInfoModal = lazyDialog(async () => (await import('../../components/EditInfoModal.tsx')).EditInfoModal, (p) => p.repo !== null);
const TypedConfirm = lazyDialog(async () => (await import('../../components/TypedConfirm.tsx')).TypedConfirm, (p) => p.open);

/**
 * The virtual body's rows as table rows (antd renders divs): the shared
 * console harness and its tests find rows as `tbody tr[data-row-key]`
 * (styles.css keeps the holder a block).
 */
const VIRTUAL_COMPONENTS = { body: { wrapper: 'tbody', row: 'tr', cell: 'td' } } as const;

/** The pages of a list not loaded yet (one array, so that its identity stays put). */
const NO_PAGES: readonly never[] = [];

export function RepositoriesPage() {
  const { t, lang } = useI18n();
  const panel = useRef<HTMLDivElement>(null);
  const footer = useRef<HTMLDivElement>(null);
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const ns = params.get('ns') || undefined;
  const search = useSearchParam('q');
  const q = search.value;
  const [selection, setSelection] = useState<React.Key[]>([]);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Repository | null>(null);
  const [deleting, setDeleting] = useState<Repository | null>(null);
  const [batchDeleting, setBatchDeleting] = useState(false);
  const filters = readFilters(params);
  const fieldSelector = fieldSelectorOf(filters);
  const filtered = fieldSelector !== '';
  const setFilter = (param: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(param, value);
    else next.delete(param);
    setParams(next);
    setSelection([]);
  };
  const registries = useRegistries();
  const canWrite = useCanWrite();
  const { list, items, total, live, apply } = useLiveRepositoryList({ namespace: ns, q, fieldSelector });
  const scroll = useInfiniteScroll({ ...list, pages: list.data?.pages ?? NO_PAGES });
  // The virtual body's scrolling element, re-found after every render (the table is re-keyed, see below).
  useEffect(() => scroll.scroller(panel.current?.querySelector<HTMLElement>('.ant-table-tbody-virtual-holder') ?? null));
  const footerShown = list.isSuccess && items.length > 0;
  const box = useTableBox(panel, footer, footerShown);

  const hostOf = useMemo(() => {
    const m = new Map<string, string>();
    for (const r of registries.data?.items ?? []) m.set(`${r.metadata.namespace}/${r.metadata.name}`, registryHost(r.spec.url));
    return m;
  }, [registries.data]);

  // Rows deleted elsewhere drop out of the selection.
  const selected = useMemo(() => {
    if (selection.length === 0) return selection;
    const present = new Set(items.map(objKey));
    return selection.filter((k) => present.has(String(k)));
  }, [items, selection]);
  // Both run over every loaded row (10,000): once per change of the rows or the selection, not per render.
  const selectedItems = useMemo(() => {
    if (selected.length === 0) return [];
    const keys = new Set(selected.map(String));
    return items.filter((r) => keys.has(objKey(r)));
  }, [items, selected]);

  const onAction = useCallback(
    (action: RowAction, r: Repository) => {
      if (action === 'view') navigate(paths.repository(r));
      if (action === 'edit') setEditing(r);
      if (action === 'delete') setDeleting(r);
      if (action === 'sync') {
        syncRepository(r).then(
          () => message.success(t('repo.syncStarted', { name: r.metadata.name })),
          (err: unknown) => message.error(<ErrorText err={err} subject={{ kind: 'Repository', name: objKey(r) }} />),
        );
      }
    },
    [navigate, message, t],
  );
  const columns = useRepositoryColumns({ hostOf, canWrite, onAction });
  // A fixed width: without one the checkbox column took whatever the other columns left (106 px at 1280, 218 at 1920).
  const rowSelection = useMemo(() => ({ selectedRowKeys: selected, onChange: setSelection, preserveSelectedRowKeys: false, columnWidth: 48 }), [selected]);
  const onRow = useCallback(
    (r: Repository) =>
      ({
        onClick: (e: React.MouseEvent) => {
          const target = e.target as HTMLElement;
          if (target.closest('.ant-table-selection-column, .row-actions, a, button, .ant-dropdown')) return;
          navigate(paths.repository(r));
        },
      }) as React.HTMLAttributes<HTMLElement>,
    [navigate],
  );

  const error = list.isError ? (list.error as Error) : null;

  return (
    <div>
      <div className="page-head">
        <div>
          <h1>{t('repo.title')}</h1>
          <p>{t('repo.subtitle')}</p>
        </div>
        {canWrite && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="add-repo">
            {t('repo.add')}
          </Button>
        )}
      </div>
      <div className="toolbar">
        <NamespaceSelect
          value={ns}
          onChange={(v) => {
            const next = new URLSearchParams(params);
            if (v) next.set('ns', v);
            else next.delete('ns');
            setParams(next);
            setSelection([]);
          }}
        />
        <Input
          allowClear
          prefix={<SearchOutlined />}
          placeholder={t('repo.searchPlaceholder')}
          aria-label={t('common.search')}
          value={search.input}
          onChange={(e) => search.setInput(e.target.value)}
          // English needs more room than Chinese for the same placeholder.
          style={{ width: lang === 'zh' ? 320 : 380 }}
          data-testid="repo-search"
        />
        {LIST_FILTERS.map((f) => (
          <Select
            key={f.param}
            allowClear
            aria-label={t(f.label)}
            data-testid={`filter-${f.param}`}
            placeholder={t(f.all)}
            style={{ minWidth: 150 }}
            popupMatchSelectWidth={false}
            value={filters[f.param] ?? null}
            onChange={(v: string | null | undefined) => setFilter(f.param, v ?? undefined)}
            options={f.options.map((o) => ({ value: o.value, label: t(o.label) }))}
          />
        ))}
        {selected.length > 0 && (
          <Space>
            <Typography.Text>{t('repo.selected', { n: selected.length })}</Typography.Text>
            <Button danger icon={<DeleteOutlined />} onClick={() => setBatchDeleting(true)} data-testid="batch-delete">
              {t('repo.deleteSelected')}
            </Button>
            <Button type="link" onClick={() => setSelection([])}>{t('repo.clearSelection')}</Button>
          </Space>
        )}
        <RepositoryImportActions namespace={ns} selected={selectedItems} />
        <div className="grow" />
        <LiveBadge state={live} />
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void list.refetch()} />
      </div>
      {error && items.length > 0 && <Alert type="error" showIcon title={<ErrorText err={error} prefix={t('common.loadFailed')} />} />}
      <div className="panel repo-list" ref={panel}>
        {/* Rendered once the panel is measured (useTableBox), so that its first render has its real size. */}
        {box && (
          <Table<Repository>
            // Virtual (issue 16): 10,000 loaded rows keep a window of rows in the DOM and scroll inside the body.
            virtual
            scroll={{ x: Math.max(box.width, MIN_TABLE_WIDTH), y: box.bodyHeight }}
            components={VIRTUAL_COMPONENTS}
            onScroll={scroll.onScroll}
            // Cells re-render only when their row changes; a new language, registry list or role re-renders all.
            key={`${lang}:${hostOf.size}:${canWrite}`}
            rowKey={objKey}
            columns={columns}
            dataSource={items}
            loading={list.isLoading}
            pagination={false}
            tableLayout="fixed"
            size="middle"
            locale={{
              emptyText: list.isLoading ? ' ' : (
                <RepositoryListEmpty error={error} q={q} filtered={filtered} onClearFilters={() => { const next = new URLSearchParams(params); for (const f of LIST_FILTERS) next.delete(f.param); setParams(next); }} noRegistries={registries.isSuccess && registries.data.items.length === 0} canWrite={canWrite} onRetry={() => void list.refetch()} onAdd={() => setAdding(true)} />
              ),
            }}
            rowSelection={canWrite ? rowSelection : undefined}
            rowClassName={rowClassName}
            onRow={onRow}
          />
        )}
      </div>
      {footerShown && (
        <RepositoryListFooter
          ref={footer} loaded={items.length} total={total} fetching={list.isFetchingNextPage} hasMore={list.hasNextPage} onLoadMore={() => void list.fetchNextPage()} />
      )}

      <RepositoryDrawer
        open={adding}
        defaultNamespace={ns}
        onClose={() => setAdding(false)}
        onCreated={(r) => {
          setAdding(false);
          message.success(t('form.created', { name: r.metadata.name }));
          apply('ADDED', r);
          void queryClient.invalidateQueries({ queryKey: keys.namespaces });
        }}
      />
      <EditInfoModal
        repo={editing}
        onClose={() => setEditing(null)}
        onSaved={(r) => {
          apply('MODIFIED', r);
          message.success(t('common.saved'));
        }}
      />
      <TypedConfirm
        open={deleting !== null}
        title={t('repo.deleteTitle')}
        warning={t('repo.deleteWarn')}
        prompt={t('repo.deleteTypeName', { name: deleting?.metadata.name ?? '' })}
        expected={deleting?.metadata.name ?? ''}
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await deleteRepository(deleting.metadata.namespace, deleting.metadata.name);
          apply('DELETED', deleting);
          message.success(t('common.deleted', { name: deleting.metadata.name }));
        }}
      />
      <TypedConfirm
        open={batchDeleting}
        title={t('repo.batchDeleteTitle')}
        warning={t('repo.deleteWarn')}
        prompt={t('repo.batchDeleteTypeCount', { n: selectedItems.length })}
        expected={String(selectedItems.length)}
        items={selectedItems.map(objKey)}
        onClose={() => setBatchDeleting(false)}
        onConfirm={async () => {
          const res = await batchDeleteRepositories(selectedItems.map((r) => r.metadata));
          for (const r of selectedItems) if (!res.failed.some((f) => f.key === objKey(r))) apply('DELETED', r);
          setSelection([]);
          if (res.failed.length) {
            throw new ConsoleError(t('repo.batchDeletePartial', { ok: res.deleted, failed: res.failed.length, names: res.failed.map((f) => f.key).join(', ') }), res.failed.map((f) => `${f.key}: ${f.message}`).join('; '));
          }
          message.success(t('repo.batchDeleted', { n: res.deleted }));
        }}
      />
    </div>
  );
}
