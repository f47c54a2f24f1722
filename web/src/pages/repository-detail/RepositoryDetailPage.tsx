/** A repository's details: header with 立即同步 / 编辑信息 / 删除, the failure reason, and one tab per view. */
import { useState, type ReactNode } from 'react';
import { Alert, App, Breadcrumb, Button, Card, Dropdown, Result, Skeleton, Space, Tabs, Typography } from 'antd';
import { ArrowLeftOutlined, DeleteOutlined, EditOutlined, EllipsisOutlined, SyncOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, type Repository } from '../../api/client.ts';
import { deleteRepository, syncRepository } from '../../api/repositories.ts';
import { EditInfoModal } from '../../components/EditInfoModal.tsx';
import { ErrorText } from '../../components/ErrorText.tsx';
import { describeSyncFailure } from '../../api/errorText.ts';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { TypedConfirm } from '../../components/TypedConfirm.tsx';
import { description, displayName, newerVersion, syncStatus } from '../../format.ts';
import { keys } from '../../hooks/queryKeys.ts';
import { useLiveRepository } from '../../hooks/useLiveRepository.ts';
import { useCanWrite } from '../../hooks/useSession.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { paths } from '../../paths.ts';
import { BasicInfoTab } from './BasicInfoTab.tsx';
import { DependenciesTab } from './DependenciesTab.tsx';
import { HistoryTab } from './HistoryTab.tsx';
import { ManifestTab } from './ManifestTab.tsx';
import { RetentionTab } from './RetentionTab.tsx';
import { TagsTab } from './TagsTab.tsx';

/**
 * The tabs, in order. `forceRender` mounts a tab before it is first shown
 * (the history loads with the page, as a sync's progress shows there);
 * `when` hides a tab that does not apply to the Repository.
 */
const TABS: { key: string; label: MessageKey; forceRender?: boolean; when?: (r: Repository) => boolean; render: (r: Repository, active: boolean) => ReactNode }[] = [
  { key: 'basic', label: 'detail.basic', render: (r) => <BasicInfoTab r={r} /> },
  { key: 'history', label: 'detail.history', forceRender: true, render: (r) => <HistoryTab r={r} /> },
  { key: 'manifest', label: 'detail.manifest', render: (r) => <ManifestTab r={r} /> },
  { key: 'tags', label: 'detail.tags', render: (r, active) => <TagsTab r={r} active={active} /> },
  // Retention deletes from a mirror: without one there is nothing to keep or delete.
  { key: 'retention', label: 'detail.ret', when: (r) => r.spec.mirror !== undefined, render: (r) => <RetentionTab r={r} /> },
  { key: 'deps', label: 'detail.dependencies', render: (r, active) => <DependenciesTab r={r} active={active} /> },
];

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
  const canWrite = useCanWrite();
  const { repo, gone } = useLiveRepository(namespace, name);

  if (repo.isLoading) return <Card><Skeleton active /></Card>;
  if (repo.isError || gone || !repo.data) {
    const notFound = gone || (repo.error instanceof ApiError && repo.error.code === 404);
    return (
      <Result
        status={notFound ? '404' : 'error'}
        title={notFound ? t('detail.notFound', { name }) : t('common.loadFailed', { msg: repo.error?.message ?? '' })}
        extra={
          <Space>
            <Button type="primary" onClick={() => navigate(paths.repositories)}>{t('detail.backToList')}</Button>
            {!notFound && <Button onClick={() => void repo.refetch()}>{t('common.retry')}</Button>}
          </Space>
        }
      />
    );
  }
  const r = repo.data;
  const st = syncStatus(r);
  const failure = describeSyncFailure(r.status, t);

  async function syncNow() {
    setSyncing(true);
    try {
      await syncRepository(r);
      message.success(t('repo.syncStarted', { name: r.metadata.name }));
      void queryClient.invalidateQueries({ queryKey: keys.runs(namespace, name) });
    } catch (err) {
      message.error(<ErrorText err={err} subject={{ kind: 'Repository', name: `${namespace}/${name}` }} />);
    } finally {
      setSyncing(false);
    }
  }

  return (
    <div>
      <Breadcrumb style={{ marginBottom: 12 }} items={[{ title: <Link to={paths.repositories}>{t('nav.repositories')}</Link> }, { title: r.metadata.namespace }, { title: r.metadata.name }]} />
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
                <Button icon={<EllipsisOutlined />} aria-label={t('common.moreActions', { name: r.metadata.name })} />
              </Dropdown>
            </Space>
          )}
        </Space>
      </div>
      {st === 'Failed' && failure && (
        <Alert
          type="error"
          showIcon
          title={t('detail.failureTitle')}
          description={
            <>
              <div data-testid="failure-reason">{failure.text}</div>
              {/* The server's words, folded: for a bug report or a search, not the sentence the page leads with. */}
              <details className="server-detail">
                <summary>{t('common.serverMessage')}</summary>
                <span className="mono" data-testid="failure-message">{failure.detail}</span>
              </details>
            </>
          }
          style={{ marginBottom: 12 }}
        />
      )}
      <Card>
        <Tabs activeKey={tab} onChange={setTab} items={TABS.filter((x) => x.when?.(r) ?? true).map((x) => ({ key: x.key, label: t(x.label), forceRender: x.forceRender, children: x.render(r, tab === x.key) }))} />
      </Card>
      <EditInfoModal
        repo={editing ? r : null}
        onClose={() => setEditing(false)}
        onSaved={(saved) => {
          queryClient.setQueryData<Repository>(keys.repo(namespace, name), (cur) => newerVersion(cur, saved));
          message.success(t('common.saved'));
        }}
      />
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
          void queryClient.invalidateQueries({ queryKey: keys.repoLists });
          navigate(paths.repositories);
        }}
      />
    </div>
  );
}
