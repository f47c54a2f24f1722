import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Breadcrumb, Button, Card, Collapse, Descriptions, Drawer, Dropdown, Empty, Result, Skeleton, Space, Table, Tabs, Tag, Tooltip, Typography } from 'antd';
import { ArrowLeftOutlined, DeleteOutlined, EditOutlined, MoreOutlined, ReloadOutlined, SyncOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, nsPath, query, request, type List, type Repository, type RunLogLine, type SyncRun } from '../api/client.ts';
import { deleteRepository, keys, useAllRepositories, useCanWrite } from '../api/hooks.ts';
import { watch } from '../api/watch.ts';
import { EditInfoModal } from '../components/EditInfoModal.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { TypedConfirm } from '../components/TypedConfirm.tsx';
import type { ManifestInfo } from '../../../src/api/types.ts';
import { description, displayName, formatBytes, formatMs, formatTime, fromNow, objKey, shortDigest, syncStatus } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { triggerSync } from './Repositories.tsx';

export function RepositoryDetailPage() {
  const { namespace = '', name = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState('basic');
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [syncing, setSyncing] = useState(false);
  const [gone, setGone] = useState(false);
  const canWrite = useCanWrite();

  const repoKey = keys.repo(namespace, name);
  const repo = useQuery({
    queryKey: repoKey,
    queryFn: ({ signal }) => request<Repository>(nsPath(namespace, 'repositories', name), { signal }),
  });
  const runsKey = keys.runs(namespace, name);
  const status = repo.data ? syncStatus(repo.data) : undefined;
  const runs = useQuery({
    queryKey: runsKey,
    queryFn: ({ signal }) => request<List<SyncRun>>(`${nsPath(namespace, 'repositories', name, 'syncruns')}${query({ limit: 50 })}`, { signal }),
    enabled: repo.isSuccess,
    refetchInterval: status === 'Syncing' ? 2000 : false,
  });

  // Live status: watch this namespace filtered to the name.
  useEffect(() => {
    setGone(false);
    return watch<Repository>(nsPath(namespace, 'repositories'), { q: name }, {
      onEvent: (e) => {
        if (e.object.metadata.name !== name || e.object.metadata.namespace !== namespace) return;
        if (e.type === 'DELETED') {
          setGone(true);
          return;
        }
        const cur = queryClient.getQueryData<Repository>(repoKey);
        if (cur && Number(cur.metadata.resourceVersion) >= Number(e.object.metadata.resourceVersion)) return;
        queryClient.setQueryData(repoKey, e.object);
        void queryClient.invalidateQueries({ queryKey: runsKey });
      },
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [namespace, name, queryClient]);

  if (repo.isLoading) return <Card><Skeleton active /></Card>;
  if (repo.isError || gone || !repo.data) {
    const notFound = gone || (repo.error instanceof ApiError && repo.error.code === 404);
    return (
      <Result
        status={notFound ? '404' : 'error'}
        title={notFound ? t('detail.notFound', { name }) : t('common.loadFailed', { msg: (repo.error as Error | null)?.message ?? '' })}
        extra={
          <Space>
            <Button type="primary" onClick={() => navigate('/repositories')}>{t('detail.backToList')}</Button>
            {!notFound && <Button onClick={() => void repo.refetch()}>{t('common.retry')}</Button>}
          </Space>
        }
      />
    );
  }
  const r = repo.data;
  const st = syncStatus(r);

  async function syncNow() {
    setSyncing(true);
    try {
      await triggerSync(r);
      message.success(t('repo.syncStarted', { name: r.metadata.name }));
      void queryClient.invalidateQueries({ queryKey: runsKey });
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setSyncing(false);
    }
  }

  return (
    <div>
      <Breadcrumb style={{ marginBottom: 12 }} items={[{ title: <Link to="/repositories">{t('nav.repositories')}</Link> }, { title: r.metadata.namespace }, { title: r.metadata.name }]} />
      <div className="detail-head">
        <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
          <Space orientation="vertical" size={2}>
            <Space>
              <Button type="text" icon={<ArrowLeftOutlined />} aria-label={t('common.back')} onClick={() => navigate(-1)} />
              <h1 data-testid="detail-name">{r.metadata.name}</h1>
              <StatusBadge status={st} />
            </Space>
            <Typography.Text type="secondary">{displayName(r) ?? ''}{description(r) ? ` — ${description(r)}` : ''}</Typography.Text>
          </Space>
          {canWrite && (
            <Space>
              <Button type="primary" icon={<SyncOutlined spin={st === 'Syncing'} />} loading={syncing} onClick={syncNow} data-testid="sync-now">
                {t('repo.syncNow')}
              </Button>
              <Button icon={<EditOutlined />} onClick={() => setEditing(true)}>{t('repo.editInfo')}</Button>
              <Dropdown trigger={['click']} menu={{ items: [{ key: 'delete', danger: true, icon: <DeleteOutlined />, label: t('common.delete') }], onClick: () => setDeleting(true) }}>
                <Button icon={<MoreOutlined />} aria-label={t('common.moreActions', { name: r.metadata.name })} />
              </Dropdown>
            </Space>
          )}
        </Space>
      </div>
      {st === 'Failed' && r.status?.message && <Alert type="error" showIcon title={t('detail.failureTitle')} description={<span data-testid="failure-message">{r.status.message}</span>} style={{ marginBottom: 12 }} />}
      <Card>
        <Tabs
          activeKey={tab}
          onChange={setTab}
          items={[
            { key: 'basic', label: t('detail.basic'), children: <BasicInfo r={r} /> },
            { key: 'history', label: t('detail.history'), children: <History r={r} runs={runs.data?.items} loading={runs.isLoading} error={runs.error as Error | null} onRefresh={() => void runs.refetch()} /> },
            { key: 'manifest', label: t('detail.manifest'), children: <Manifest r={r} /> },
            { key: 'deps', label: t('detail.dependencies'), children: <Dependencies r={r} active={tab === 'deps'} /> },
          ]}
        />
      </Card>
      <EditInfoModal repo={editing ? r : null} onClose={() => setEditing(false)} onSaved={(saved) => { queryClient.setQueryData(repoKey, saved); message.success(t('common.saved')); }} />
      <TypedConfirm
        open={deleting}
        title={t('repo.deleteTitle')}
        warning={t('repo.deleteWarn')}
        prompt={t('repo.deleteTypeName', { name: r.metadata.name })}
        expected={r.metadata.name}
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await deleteRepository(r.metadata.namespace, r.metadata.name);
          message.success(t('common.deleted', { name: r.metadata.name }));
          void queryClient.invalidateQueries({ queryKey: ['repositories', 'list'] });
          navigate('/repositories');
        }}
      />
    </div>
  );
}

function BasicInfo({ r }: { r: Repository }) {
  const { t } = useI18n();
  const s = r.status;
  return (
    <Descriptions column={{ xs: 1, md: 2 }} bordered size="small" data-testid="basic-info">
      <Descriptions.Item label={t('form.name')}>{r.metadata.name}</Descriptions.Item>
      <Descriptions.Item label={t('form.displayName')}>{displayName(r) ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={t('form.namespace')}>{r.metadata.namespace}</Descriptions.Item>
      <Descriptions.Item label={t('form.description')}>{description(r) ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={t('detail.registryRef')}>{`${r.spec.registryRef.namespace ?? r.metadata.namespace}/${r.spec.registryRef.name}`}{s?.domain ? ` (${s.domain})` : ''}</Descriptions.Item>
      <Descriptions.Item label={t('detail.image')}><span className="mono">{`${s?.domain ? `${s.domain}/` : ''}${r.spec.repository}:${r.spec.tag}`}</span></Descriptions.Item>
      <Descriptions.Item label={t('repo.col.status')}><StatusBadge status={syncStatus(r)} message={s?.message} /></Descriptions.Item>
      <Descriptions.Item label={t('repo.col.lastSynced')}>{s?.lastSynced ? `${formatTime(s.lastSynced)} (${fromNow(s.lastSynced)})` : '—'}</Descriptions.Item>
      <Descriptions.Item label={t('form.syncInterval')}>{r.spec.syncInterval ?? '1h'}</Descriptions.Item>
      <Descriptions.Item label={t('detail.nextSync')}>{formatTime(s?.nextSyncTime)}</Descriptions.Item>
      <Descriptions.Item label={t('form.syncTimeout')}>{r.spec.syncTimeout ?? '10m'}</Descriptions.Item>
      <Descriptions.Item label={t('form.retryCount')}>{r.spec.retryCount ?? 3}</Descriptions.Item>
      <Descriptions.Item label={t('detail.digest')}><span className="mono">{s?.observedDigest ?? '—'}</span></Descriptions.Item>
      <Descriptions.Item label={t('detail.created')}>{formatTime(r.metadata.creationTimestamp)}</Descriptions.Item>
      {r.spec.mirror && (
        <Descriptions.Item label={t('detail.mirror')} span={2}>
          <span className="mono">{s?.mirror?.image ?? `${r.spec.mirror.registryRef.namespace ?? r.metadata.namespace}/${r.spec.mirror.registryRef.name} → ${r.spec.mirror.repository ?? r.spec.repository}:${r.spec.mirror.tag ?? r.spec.tag}`}</span>
          {s?.mirror?.lastSynced ? ` · ${formatTime(s.mirror.lastSynced)}` : ''}
        </Descriptions.Item>
      )}
      {s?.health && (
        <Descriptions.Item label={t('detail.health')} span={2}>
          <Tag color={s.health.pullable ? 'green' : 'red'}>{s.health.pullable ? t('detail.pullable') : t('detail.notPullable')}</Tag>
          {formatTime(s.health.checkedAt)} {s.health.message ?? ''}
        </Descriptions.Item>
      )}
      {s?.message && (
        <Descriptions.Item label={t('detail.message')} span={2}>
          <Typography.Text type={syncStatus(r) === 'Failed' ? 'danger' : undefined}>{s.message}</Typography.Text>
        </Descriptions.Item>
      )}
    </Descriptions>
  );
}

const PHASE_COLOR: Record<string, string> = { Succeeded: 'green', Failed: 'red', Running: 'processing', Queued: 'default', Interrupted: 'orange' };

function History({ r, runs, loading, error, onRefresh }: { r: Repository; runs: SyncRun[] | undefined; loading: boolean; error: Error | null; onRefresh: () => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState<SyncRun | null>(null);
  if (error) return <Alert type="error" showIcon title={t('common.loadFailed', { msg: error.message })} action={<Button size="small" onClick={onRefresh}>{t('common.retry')}</Button>} />;
  return (
    <>
      <Table<SyncRun>
        size="small"
        rowKey={(x) => x.metadata.name}
        loading={loading}
        dataSource={runs ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('run.empty')} /> }}
        rowClassName={() => 'clickable-row'}
        onRow={(run) => ({ onClick: () => setOpen(run), onKeyDown: (e) => { if (e.key === 'Enter') setOpen(run); }, tabIndex: 0, 'data-testid': `run-${run.metadata.name}` }) as React.HTMLAttributes<HTMLElement>}
        title={() => (
          <Space style={{ width: '100%', justifyContent: 'flex-end' }}>
            <Button size="small" icon={<ReloadOutlined />} onClick={onRefresh}>{t('common.refresh')}</Button>
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
      <RunLog repo={r} run={open} onClose={() => setOpen(null)} />
    </>
  );
}

function RunLog({ repo, run, onClose }: { repo: Repository; run: SyncRun | null; onClose: () => void }) {
  const { t } = useI18n();
  const ns = repo.metadata.namespace;
  const log = useQuery({
    queryKey: keys.runLog(ns, repo.metadata.name, run?.metadata.name ?? ''),
    queryFn: ({ signal }) => request<{ lines: RunLogLine[] }>(nsPath(ns, 'repositories', repo.metadata.name, `syncruns/${encodeURIComponent(run!.metadata.name)}/log`), { signal }),
    enabled: run !== null,
    refetchInterval: run?.status.phase === 'Running' ? 2000 : false,
  });
  return (
    <Drawer open={run !== null} onClose={onClose} size={720} title={run ? t('run.log', { name: run.metadata.name }) : ''}>
      {run && (
        <Descriptions size="small" column={2} style={{ marginBottom: 12 }}>
          <Descriptions.Item label={t('run.result')}><Tag color={PHASE_COLOR[run.status.phase]}>{t(`run.phase.${run.status.phase}`)}</Tag></Descriptions.Item>
          <Descriptions.Item label={t('run.trigger')}>{t(`run.trigger.${run.spec.trigger}`)}</Descriptions.Item>
          <Descriptions.Item label={t('run.start')}>{formatTime(run.status.startTime)}</Descriptions.Item>
          <Descriptions.Item label={t('run.bytes')}>{formatBytes(run.status.bytesMoved)}</Descriptions.Item>
          {run.status.digestAfter && <Descriptions.Item label={t('detail.digest')} span={2}><span className="mono">{run.status.digestAfter}</span></Descriptions.Item>}
          {run.status.error && <Descriptions.Item label={t('detail.message')} span={2}><Typography.Text type="danger">{run.status.error}</Typography.Text></Descriptions.Item>}
        </Descriptions>
      )}
      {log.isLoading ? (
        <Skeleton active />
      ) : log.isError ? (
        <Alert type="error" showIcon title={t('common.loadFailed', { msg: (log.error as Error).message })} />
      ) : (log.data?.lines.length ?? 0) === 0 ? (
        <Empty description={t('run.logEmpty')} />
      ) : (
        <div className="log-view" data-testid="run-log" role="log">
          {log.data!.lines.map((l, i) => (
            <div key={i} className={l.level}>
              <span className="time">{formatTime(l.time)}</span>
              {l.level !== 'info' && <strong>{l.level.toUpperCase()} </strong>}
              {l.message}
            </div>
          ))}
        </div>
      )}
    </Drawer>
  );
}

function platformName(m: ManifestInfo): string {
  return [m.os, m.architecture, m.variant].filter(Boolean).join('/') || '—';
}

function Manifest({ r }: { r: Repository }) {
  const { t } = useI18n();
  const platforms = r.status?.platforms?.length ? r.status.platforms : r.status?.manifest ? [r.status.manifest] : [];
  if (platforms.length === 0) return <Empty description={t('manifest.empty')} />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      {r.status?.observedDigest && (
        <Typography.Text type="secondary">
          {t('detail.digest')}: <span className="mono">{r.status.observedDigest}</span> {r.status.mediaType ? `· ${r.status.mediaType}` : ''}
        </Typography.Text>
      )}
      <Collapse
        defaultActiveKey={[platformName(platforms[0]!)]}
        items={platforms.map((m) => ({
          key: platformName(m),
          label: (
            <Space wrap>
              <Tag color="blue">{platformName(m)}</Tag>
              <span className="mono">{shortDigest(m.digest)}</span>
              <span>{t('manifest.size')}: {Number.isFinite(m.sizeBytes) ? formatBytes(m.sizeBytes) : m.size}</span>
              {m.created && <span>{t('manifest.created')}: {formatTime(m.created)}</span>}
            </Space>
          ),
          children: (
            <>
              <Descriptions size="small" column={1} style={{ marginBottom: 8 }}>
                <Descriptions.Item label={t('detail.digest')}><span className="mono">{m.digest ?? '—'}</span></Descriptions.Item>
                {m.mediaType && <Descriptions.Item label={t('manifest.mediaType')}><span className="mono">{m.mediaType}</span></Descriptions.Item>}
              </Descriptions>
              <Table
                size="small"
                rowKey={(l) => l.digest}
                pagination={false}
                dataSource={m.layers}
                title={() => t('manifest.layers', { n: m.layers.length })}
                columns={[
                  { title: '#', key: 'i', width: 50, render: (_, __, i) => i + 1 },
                  { title: t('manifest.layerDigest'), key: 'digest', render: (_, l) => <Tooltip title={l.digest}><span className="mono">{shortDigest(l.digest)}</span></Tooltip> },
                  { title: t('manifest.layerSize'), key: 'size', render: (_, l) => formatBytes(l.size) },
                  { title: t('manifest.mediaType'), key: 'mt', render: (_, l) => <span className="mono">{l.mediaType ?? '—'}</span> },
                ]}
              />
            </>
          ),
        }))}
      />
    </Space>
  );
}

/** Layers of every platform: digest -> size. */
function layersOf(r: Repository): Map<string, number> {
  const out = new Map<string, number>();
  const ms = [...(r.status?.platforms ?? []), ...(r.status?.manifest ? [r.status.manifest] : [])];
  for (const m of ms) for (const l of m.layers) out.set(l.digest, Number(l.size) || 0);
  return out;
}

function Dependencies({ r, active }: { r: Repository; active: boolean }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const all = useAllRepositories(active);
  const mine = useMemo(() => layersOf(r), [r]);
  const rows = useMemo(() => {
    if (!all.data) return [];
    const out: { repo: Repository; shared: number; bytes: number }[] = [];
    for (const other of all.data.items) {
      if (objKey(other) === objKey(r)) continue;
      let shared = 0;
      let bytes = 0;
      for (const [d, size] of layersOf(other)) {
        if (mine.has(d)) {
          shared++;
          bytes += size;
        }
      }
      if (shared > 0) out.push({ repo: other, shared, bytes });
    }
    return out.sort((a, b) => b.shared - a.shared || b.bytes - a.bytes);
  }, [all.data, mine, r]);
  if (mine.size === 0) return <Empty description={t('deps.notSynced')} />;
  if (all.isLoading) return <Skeleton active />;
  if (all.isError) return <Alert type="error" showIcon title={t('common.loadFailed', { msg: (all.error as Error).message })} />;
  return (
    <>
      <Typography.Paragraph type="secondary">{t('deps.help', { n: all.data?.items.length ?? 0 })}</Typography.Paragraph>
      <Table
        size="small"
        rowKey={(x) => objKey(x.repo)}
        dataSource={rows}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('deps.empty')} /> }}
        rowClassName={() => 'clickable-row'}
        onRow={(x) => ({ onClick: () => navigate(`/repositories/${x.repo.metadata.namespace}/${x.repo.metadata.name}`) })}
        columns={[
          { title: t('repo.col.name'), key: 'name', render: (_, x) => <Link to={`/repositories/${x.repo.metadata.namespace}/${x.repo.metadata.name}`}>{x.repo.metadata.name}</Link> },
          { title: t('repo.col.namespace'), key: 'ns', render: (_, x) => x.repo.metadata.namespace },
          { title: t('repo.col.path'), key: 'path', render: (_, x) => <span className="mono">{`${x.repo.spec.repository}:${x.repo.spec.tag}`}</span> },
          { title: t('deps.shared'), key: 'shared', render: (_, x) => `${x.shared} / ${mine.size}` },
          { title: t('deps.sharedBytes'), key: 'bytes', render: (_, x) => formatBytes(x.bytes) },
          { title: t('repo.col.status'), key: 'st', render: (_, x) => <StatusBadge status={syncStatus(x.repo)} /> },
        ]}
      />
    </>
  );
}
