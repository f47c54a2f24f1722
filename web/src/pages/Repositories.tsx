import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Badge, Button, Dropdown, Empty, Input, Space, Spin, Table, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { DeleteOutlined, EditOutlined, EyeOutlined, MoreOutlined, PlusOutlined, ReloadOutlined, SearchOutlined, SyncOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, nsPath, query, request, type List, type Repository, type SyncRun } from '../api/client.ts';
import { batchDeleteRepositories, deleteRepository, keys, useCanWrite, useRegistries } from '../api/hooks.ts';
import { applyEvent, syncTotals, type Pages } from '../api/liveList.ts';
import { watch, type WatchState } from '../api/watch.ts';
import type { WatchEvent } from '../../../src/api/types.ts';
import { EditInfoModal } from '../components/EditInfoModal.tsx';
import { NamespaceSelect } from '../components/NamespaceSelect.tsx';
import { RepositoryDrawer } from '../components/RepositoryDrawer.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { TypedConfirm } from '../components/TypedConfirm.tsx';
import { displayName, formatTime, fromNow, objKey, registryHost, syncStatus } from '../format.ts';
import { useI18n } from '../i18n.tsx';

export const PAGE_SIZE = 50;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

export async function triggerSync(r: Repository): Promise<SyncRun> {
  return request<SyncRun>(nsPath(r.metadata.namespace, 'repositories', r.metadata.name, 'sync'), { method: 'POST', body: {} });
}

export function RepositoriesPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const ns = params.get('ns') || undefined;
  const [search, setSearch] = useState(params.get('q') ?? '');
  const q = useDebounced(search.trim(), 300);
  const [selected, setSelected] = useState<React.Key[]>([]);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Repository | null>(null);
  const [deleting, setDeleting] = useState<Repository | null>(null);
  const [batchDeleting, setBatchDeleting] = useState(false);
  const [live, setLive] = useState<WatchState>('connecting');
  const registries = useRegistries();
  const canWrite = useCanWrite();

  // Keep ns and q in the URL (reload and back keep the view).
  useEffect(() => {
    const next = new URLSearchParams(params);
    if (q) next.set('q', q);
    else next.delete('q');
    if (next.toString() !== params.toString()) setParams(next, { replace: true });
  }, [q, params, setParams]);

  const key = keys.repoList(ns, q);
  const list = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam, signal }) => request<List<Repository>>(`${nsPath(ns, 'repositories')}${query({ q, limit: PAGE_SIZE, continue: pageParam })}`, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.metadata.continue || undefined,
    staleTime: Infinity,
  });

  // Live updates: apply watch events to the loaded pages in place.
  const recountTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    const filter = { namespace: ns, q };
    const recount = () => {
      clearTimeout(recountTimer.current);
      recountTimer.current = setTimeout(async () => {
        try {
          const one = await request<List<Repository>>(`${nsPath(ns, 'repositories')}${query({ q, limit: 1 })}`);
          queryClient.setQueryData<Pages>(key, (d) => (d ? syncTotals(d, one.metadata.totalCount) : d));
        } catch {
          // the next event or reload corrects it
        }
      }, 400);
    };
    let namespacesSeen: Set<string> | undefined;
    let queue: WatchEvent<Repository>[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      flushTimer = undefined;
      const events = queue;
      queue = [];
      let needsRecount = false;
      queryClient.setQueryData<Pages>(key, (d) => {
        if (!d) return d;
        let data = d;
        for (const e of events) {
          const r = applyEvent(data, e, filter);
          needsRecount ||= r.needsRecount;
          data = r.data;
        }
        return data;
      });
      if (needsRecount) recount();
      // A namespace we did not know: refresh the selector's options.
      namespacesSeen ??= new Set(queryClient.getQueryData<string[]>(keys.namespaces) ?? []);
      for (const e of events) {
        if (e.type === 'ADDED' && !namespacesSeen.has(e.object.metadata.namespace)) {
          namespacesSeen.add(e.object.metadata.namespace);
          void queryClient.invalidateQueries({ queryKey: keys.namespaces });
        }
      }
    };
    const stop = watch<Repository>(nsPath(ns, 'repositories'), { q: q || undefined }, {
      onState: setLive,
      onOpen: (reconnect) => {
        if (reconnect) void queryClient.invalidateQueries({ queryKey: key });
      },
      // Events arrive in bursts (a watch starts with every object; 300 syncs
      // make 600 changes): apply them in batches, one render per batch.
      onEvent: (e) => {
        queue.push(e);
        flushTimer ??= setTimeout(flush, 250);
      },
    });
    return () => {
      stop();
      clearTimeout(flushTimer);
      clearTimeout(recountTimer.current);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ns, q, queryClient]);

  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const total = list.data?.pages.at(-1)?.metadata.totalCount ?? 0;
  const hostOf = useMemo(() => {
    const m = new Map<string, string>();
    for (const r of registries.data?.items ?? []) m.set(`${r.metadata.namespace}/${r.metadata.name}`, registryHost(r.spec.url));
    return m;
  }, [registries.data]);

  // Drop selections that vanished (deleted elsewhere).
  useEffect(() => {
    if (selected.length === 0) return;
    const present = new Set(items.map(objKey));
    const kept = selected.filter((k) => present.has(String(k)));
    if (kept.length !== selected.length) setSelected(kept);
  }, [items, selected]);

  // Infinite scroll: load the next page when the sentinel nears the viewport.
  const sentinel = useRef<HTMLDivElement | null>(null);
  const [nearBottom, setNearBottom] = useState(false);
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => setNearBottom(entries.some((e) => e.isIntersecting)), { rootMargin: '0px 0px 300px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [list.status]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    if (nearBottom && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [nearBottom, hasNextPage, isFetchingNextPage, fetchNextPage, items.length]);

  const upsert = useCallback(
    (r: Repository) => {
      queryClient.setQueryData<Pages>(key, (d) => (d ? applyEvent(d, { type: 'MODIFIED', object: r }, { namespace: ns, q }).data : d));
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [queryClient, ns, q],
  );

  async function syncNow(r: Repository) {
    try {
      const run = await triggerSync(r);
      message.success(run.status.phase === 'Queued' || run.metadata.name ? t('repo.syncStarted', { name: r.metadata.name }) : t('repo.syncStarted', { name: r.metadata.name }));
    } catch (err) {
      message.error((err as Error).message);
    }
  }

  // eslint-disable-next-line react-hooks/exhaustive-deps
  const columns = useMemo(() => ([
    {
      title: t('repo.col.name'),
      key: 'name',
      render: (_, r) => (
        <div className="name-cell">
          <Link to={`/repositories/${encodeURIComponent(r.metadata.namespace)}/${encodeURIComponent(r.metadata.name)}`} onClick={(e) => e.stopPropagation()}>
            {r.metadata.name}
          </Link>
          {displayName(r) && <div className="alias">{displayName(r)}</div>}
        </div>
      ),
    },
    { title: t('repo.col.namespace'), key: 'namespace', render: (_, r) => r.metadata.namespace, width: 130 },
    {
      title: t('repo.col.registry'),
      key: 'registry',
      render: (_, r) => r.status?.domain ?? hostOf.get(`${r.spec.registryRef.namespace ?? r.metadata.namespace}/${r.spec.registryRef.name}`) ?? r.spec.registryRef.name,
    },
    { title: t('repo.col.path'), key: 'path', render: (_, r) => <span className="mono">{`${r.spec.repository}:${r.spec.tag}`}</span> },
    {
      title: t('repo.col.lastSynced'),
      key: 'lastSynced',
      width: 180,
      render: (_, r) => (r.status?.lastSynced ? <Tooltip title={fromNow(r.status.lastSynced)}>{formatTime(r.status.lastSynced)}</Tooltip> : <Typography.Text type="secondary">—</Typography.Text>),
    },
    { title: t('repo.col.status'), key: 'status', width: 130, render: (_, r) => <StatusBadge status={syncStatus(r)} message={r.status?.message} /> },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 70,
      align: 'center',
      render: (_, r) => (
        <span className="row-actions" onClick={(e) => e.stopPropagation()}>
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'view', icon: <EyeOutlined />, label: t('repo.viewDetails') },
                ...(canWrite
                  ? [
                      { key: 'sync', icon: <SyncOutlined />, label: t('repo.syncNow') },
                      { key: 'edit', icon: <EditOutlined />, label: t('repo.editInfo') },
                      { type: 'divider' as const },
                      { key: 'delete', icon: <DeleteOutlined />, label: t('common.delete'), danger: true },
                    ]
                  : []),
              ],
              onClick: ({ key: k, domEvent }) => {
                domEvent.stopPropagation();
                if (k === 'view') navigate(`/repositories/${r.metadata.namespace}/${r.metadata.name}`);
                if (k === 'sync') void syncNow(r);
                if (k === 'edit') setEditing(r);
                if (k === 'delete') setDeleting(r);
              },
            }}
          >
            <Button type="text" icon={<MoreOutlined />} aria-label={t('common.moreActions', { name: r.metadata.name })} data-testid={`actions-${r.metadata.name}`} />
          </Dropdown>
        </span>
      ),
    },
  ] as TableColumnsType<Repository>).map((c) => ({ ...c, shouldCellUpdate: (record: Repository, prev: Repository) => record !== prev })), [t, hostOf, canWrite]);

  const rowSelection = useMemo(() => ({ selectedRowKeys: selected, onChange: (k: React.Key[]) => setSelected(k), preserveSelectedRowKeys: false }), [selected]);
  const rowClassName = useCallback(() => 'clickable-row', []);
  const onRow = useCallback(
    (r: Repository) =>
      ({
        onClick: (e: React.MouseEvent) => {
          const target = e.target as HTMLElement;
          if (target.closest('.ant-table-selection-column, .row-actions, a, button, .ant-dropdown')) return;
          navigate(`/repositories/${r.metadata.namespace}/${r.metadata.name}`);
        },
      }) as React.HTMLAttributes<HTMLElement>,
    [navigate],
  );

  const selectedItems = items.filter((r) => selected.includes(objKey(r)));
  const noRegistries = registries.isSuccess && registries.data.items.length === 0;

  let empty: React.ReactNode;
  if (list.isError) {
    empty = (
      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('common.loadFailed', { msg: (list.error as Error).message })}>
        <Button icon={<ReloadOutlined />} onClick={() => void list.refetch()}>{t('common.retry')}</Button>
      </Empty>
    );
  } else if (q) {
    empty = <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('repo.emptySearch', { q })} />;
  } else if (noRegistries) {
    empty = (
      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('repo.emptyNoRegistry')}>
        <Button type="primary" onClick={() => navigate('/registries')}>{t('repo.goRegistries')}</Button>
      </Empty>
    );
  } else {
    empty = (
      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('repo.empty')}>
        {canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>{t('repo.add')}</Button>}
      </Empty>
    );
  }

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
            setSelected([]);
          }}
        />
        <Input
          allowClear
          prefix={<SearchOutlined />}
          placeholder={t('repo.searchPlaceholder')}
          aria-label={t('common.search')}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          style={{ width: 320 }}
          data-testid="repo-search"
        />
        {selected.length > 0 && (
          <Space>
            <Typography.Text>{t('repo.selected', { n: selected.length })}</Typography.Text>
            <Button danger icon={<DeleteOutlined />} onClick={() => setBatchDeleting(true)} data-testid="batch-delete">
              {t('repo.deleteSelected')}
            </Button>
            <Button type="link" onClick={() => setSelected([])}>{t('repo.clearSelection')}</Button>
          </Space>
        )}
        <div className="grow" />
        <Tooltip title={live === 'open' ? t('top.live') : t('top.reconnecting')}>
          <Badge status={live === 'open' ? 'success' : 'processing'} text={<Typography.Text type="secondary">{live === 'open' ? t('top.live') : t('top.reconnecting')}</Typography.Text>} data-testid="live-state" data-state={live} />
        </Tooltip>
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void list.refetch()} />
      </div>
      {list.isError && items.length > 0 && <Alert type="error" showIcon title={t('common.loadFailed', { msg: (list.error as Error).message })} />}
      <div className="panel">
        <Table<Repository>
          // Cells re-render only when their row changes; a new language, registry list or role re-renders all.
          key={`${lang}:${hostOf.size}:${canWrite}`}
          rowKey={objKey}
          columns={columns}
          dataSource={items}
          loading={list.isLoading}
          pagination={false}
          size="middle"
          locale={{ emptyText: list.isLoading ? ' ' : empty }}
          rowSelection={canWrite ? rowSelection : undefined}
          rowClassName={rowClassName}
          onRow={onRow}
        />
      </div>
      <div ref={sentinel} />
      {list.isSuccess && items.length > 0 && (
        <div className="list-footer" data-testid="list-footer" aria-live="polite">
          <Space size="large">
            <span data-testid="loaded-count">{t('repo.loaded', { n: items.length, total: Math.max(total, items.length) })}</span>
            {isFetchingNextPage ? (
              <Space><Spin size="small" />{t('repo.loadingMore')}</Space>
            ) : hasNextPage ? (
              <Button size="small" onClick={() => void fetchNextPage()}>{t('repo.loadMore')}</Button>
            ) : (
              <span data-testid="all-loaded">{t('repo.allLoaded')}</span>
            )}
          </Space>
        </div>
      )}

      <RepositoryDrawer
        open={adding}
        defaultNamespace={ns}
        onClose={() => setAdding(false)}
        onCreated={(r) => {
          setAdding(false);
          message.success(t('form.created', { name: r.metadata.name }));
          queryClient.setQueryData<Pages>(key, (d) => (d ? applyEvent(d, { type: 'ADDED', object: r }, { namespace: ns, q }).data : d));
          void queryClient.invalidateQueries({ queryKey: keys.namespaces });
        }}
      />
      <EditInfoModal
        repo={editing}
        onClose={() => setEditing(null)}
        onSaved={(r) => {
          upsert(r);
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
          queryClient.setQueryData<Pages>(key, (d) => (d ? applyEvent(d, { type: 'DELETED', object: deleting }, { namespace: ns, q }).data : d));
          message.success(t('common.deleted', { name: deleting.metadata.name }));
        }}
      />
      <TypedConfirm
        open={batchDeleting}
        title={t('repo.batchDeleteTitle')}
        warning={t('repo.deleteWarn')}
        prompt={t('repo.batchDeleteTypeCount', { n: selectedItems.length })}
        expected={String(selectedItems.length)}
        onClose={() => setBatchDeleting(false)}
        onConfirm={async () => {
          const res = await batchDeleteRepositories(selectedItems.map((r) => r.metadata));
          for (const r of selectedItems) {
            if (res.failed.some((f) => f.key === objKey(r))) continue;
            queryClient.setQueryData<Pages>(key, (d) => (d ? applyEvent(d, { type: 'DELETED', object: r }, { namespace: ns, q }).data : d));
          }
          setSelected([]);
          if (res.failed.length) {
            throw new ApiError(0, t('repo.batchDeletePartial', { ok: res.deleted, failed: res.failed.length, msg: res.failed[0]!.message }));
          }
          message.success(t('repo.batchDeleted', { n: res.deleted }));
        }}
      />
    </div>
  );
}
