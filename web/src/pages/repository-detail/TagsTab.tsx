import { useState } from 'react';
import { Alert, App, Button, Empty, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import type { Repository } from '../../api/client.ts';
import { setFollowedTags, type SourceTag } from '../../api/tags.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { formatBytes, formatTime, newerVersion, shortDigest, syncStatus } from '../../format.ts';
import { keys } from '../../hooks/queryKeys.ts';
import { useInfiniteScroll } from '../../hooks/useInfiniteScroll.ts';
import { useCanWrite } from '../../hooks/useSession.ts';
import { sourceTagsKey, useSourceTags } from '../../hooks/useSourceTags.ts';
import { useI18n } from '../../i18n.tsx';
import { describeTagListError } from './detailText.ts';

/**
 * How `r` follows `tag` now, from the live Repository, so that a follow or
 * an unfollow shows before the list is read again. Without filters the spec
 * says it all: a line status.tags still has for a tag taken out of the list
 * leaves at the next sync, and is not a reason to call the tag followed.
 */
function following(r: Repository, item: SourceTag) {
  const main = item.tag === r.spec.tag;
  const listed = r.spec.tags?.list?.includes(item.tag) ?? false;
  const line = r.status?.tags?.find((x) => x.tag === item.tag);
  const filters = r.spec.tags !== undefined && (r.spec.tags.regex !== undefined || r.spec.tags.semver !== undefined || r.spec.tags.newest !== undefined);
  const followed = main || listed || (filters && (line !== undefined || item.followed === true));
  const status = line?.syncStatus ?? (main ? syncStatus(r) : 'Pending');
  return { main, listed, followed, status, line };
}

/**
 * 标签: every tag of the image at its source, newest first, loaded as the
 * user scrolls (each page is described at the source); 跟踪 adds a tag to
 * spec.tags.list, 取消跟踪 takes a listed one out (its mirror copy stays:
 * deleting is retention's job).
 */
/** The pages of a list not loaded yet (one array, so that its identity stays put). */
const NO_PAGES: readonly never[] = [];

export function TagsTab({ r, active }: { r: Repository; active: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const canWrite = useCanWrite();
  const { namespace, name } = r.metadata;
  const tags = useSourceTags(namespace, name, { enabled: active });
  const [busy, setBusy] = useState<string | null>(null);
  const pages = tags.data?.pages ?? NO_PAGES;
  const items = pages.flatMap((p) => p.items);
  const total = pages[0]?.metadata.totalCount ?? 0;
  const listError = pages.find((p) => p.metadata.error)?.metadata.error;
  const { sentinel } = useInfiniteScroll({ hasNextPage: tags.hasNextPage, isFetchingNextPage: tags.isFetchingNextPage, fetchNextPage: tags.fetchNextPage, pages });

  async function change(tag: string, follow: boolean) {
    setBusy(tag);
    try {
      const list = r.spec.tags?.list ?? [];
      const saved = await setFollowedTags(r, follow ? [...list, tag] : list.filter((x) => x !== tag));
      // The watch may have brought newer versions already (the sync the edit queued): never go back to this one.
      queryClient.setQueryData<Repository>(keys.repo(namespace, name), (cur) => newerVersion(cur, saved));
      void queryClient.invalidateQueries({ queryKey: sourceTagsKey(namespace, name) });
      message.success(t(follow ? 'detail.tags.followed' : 'detail.tags.unfollowed', { tag }));
    } catch (err) {
      // A 409 (someone changed the Repository meanwhile) reads as such; the page shows the current version to retry on.
      void queryClient.invalidateQueries({ queryKey: keys.repo(namespace, name) });
      message.error(<ErrorText err={err} subject={{ kind: 'Repository', name: `${namespace}/${name}` }} />);
    } finally {
      setBusy(null);
    }
  }

  if (tags.error) return <Alert type="error" showIcon title={<ErrorText err={tags.error} prefix={t('common.loadFailed')} />} action={<Button size="small" onClick={() => void tags.refetch()}>{t('common.retry')}</Button>} />;
  const why = listError ? describeTagListError(listError, t) : undefined;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="tags-tab">
      {why && (
        <Alert
          type="error"
          showIcon
          data-testid="tags-error"
          title={t('detail.tags.listFailed')}
          description={
            <>
              <div data-testid="tags-error-reason">{why.text}</div>
              <details className="server-detail">
                <summary>{t('common.serverMessage')}</summary>
                <span className="mono">{why.detail}</span>
              </details>
            </>
          }
          action={<Button size="small" onClick={() => void tags.refetch()}>{t('common.retry')}</Button>}
        />
      )}
      <Table<SourceTag>
        size="small"
        rowKey="tag"
        loading={tags.isLoading}
        dataSource={items}
        pagination={false}
        tableLayout="fixed"
        scroll={{ x: 1000 }}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={why ? why.text : t('detail.tags.empty')} /> }}
        title={() => (
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <Typography.Text type="secondary">{t('detail.tags.help')}</Typography.Text>
            <Button size="small" icon={<ReloadOutlined />} onClick={() => void tags.refetch()}>{t('common.refresh')}</Button>
          </Space>
        )}
        columns={[
          {
            title: t('detail.tags.col.tag'),
            key: 'tag',
            width: 150,
            render: (_, x) => (
              <Space size={4} wrap>
                <Typography.Text strong className="mono">{x.tag}</Typography.Text>
                {x.tag === r.spec.tag && <Tag color="blue">{t('detail.tags.mainTag')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('detail.tags.col.digest'),
            key: 'digest',
            width: 180,
            render: (_, x) =>
              x.digest ? (
                <Typography.Text className="mono" title={x.digest} copyable={{ text: x.digest, tooltips: [t('common.copy'), t('common.copied')] }} data-testid="tag-digest">
                  {shortDigest(x.digest)}
                </Typography.Text>
              ) : x.error ? (
                <Tooltip title={x.error}><Typography.Text type="danger">{t('detail.tags.undescribed')}</Typography.Text></Tooltip>
              ) : t('common.none'),
          },
          { title: t('detail.tags.col.platforms'), key: 'platforms', render: (_, x) => (x.platforms?.length ? <Space size={[0, 4]} wrap>{x.platforms.map((p) => <Tag key={p}>{p}</Tag>)}</Space> : t('common.none')) },
          { title: t('detail.tags.col.size'), key: 'size', width: 90, render: (_, x) => <span data-testid="tag-size" data-bytes={x.sizeBytes}>{formatBytes(x.sizeBytes)}</span> },
          { title: t('detail.tags.col.created'), key: 'created', width: 160, render: (_, x) => formatTime(x.created) },
          {
            title: t('detail.tags.col.follow'),
            key: 'follow',
            width: 200,
            render: (_, x) => {
              const f = following(r, x);
              if (!f.followed) return x.followedBy ? <Typography.Text type="secondary">{t('detail.tags.followedBy', { name: x.followedBy.name })}</Typography.Text> : <Typography.Text type="secondary">{t('detail.tags.notFollowed')}</Typography.Text>;
              return (
                <Space size={4} wrap data-testid="tag-follow" data-status={f.status}>
                  <StatusBadge status={f.status} message={f.line?.message} />
                  {!f.main && !f.listed && <Tag>{t('detail.tags.byFilter')}</Tag>}
                  {x.synced && !x.synced.current && <Typography.Text type="warning">{t('detail.tags.moved')}</Typography.Text>}
                </Space>
              );
            },
          },
          ...(canWrite
            ? [{
                title: t('common.actions'),
                key: 'actions',
                width: 110,
                render: (_: unknown, x: SourceTag) => {
                  const f = following(r, x);
                  if (!f.followed) return <Button size="small" loading={busy === x.tag} disabled={busy !== null} onClick={() => void change(x.tag, true)} data-testid={`follow-${x.tag}`}>{t('detail.tags.follow')}</Button>;
                  if (f.listed) return <Button size="small" type="link" loading={busy === x.tag} disabled={busy !== null} onClick={() => void change(x.tag, false)} data-testid={`unfollow-${x.tag}`}>{t('detail.tags.unfollow')}</Button>;
                  return null;
                },
              }]
            : []),
        ]}
      />
      <div ref={sentinel} />
      {items.length > 0 && (
        <Typography.Text type="secondary" data-testid="tags-loaded">
          {t('detail.tags.loaded', { n: items.length, total })}
          {' · '}
          {tags.isFetchingNextPage ? t('detail.tags.loadingMore') : tags.hasNextPage ? '' : t('detail.tags.allLoaded')}
        </Typography.Text>
      )}
    </Space>
  );
}
