import { useMemo } from 'react';
import { Alert, Empty, Skeleton, Table, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { nsPath, request, type Repository } from '../../api/client.ts';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { formatBytes, objKey, syncStatus } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';

/** Layers of every platform: digest -> size. */
function layersOf(r: Repository): Map<string, number> {
  const out = new Map<string, number>();
  const ms = [...(r.status?.platforms ?? []), ...(r.status?.manifest ? [r.status.manifest] : [])];
  for (const m of ms) for (const l of m.layers) out.set(l.digest, Number(l.size) || 0);
  return out;
}

/** What GET .../repositories/{name}/dependencies answers (src/server/dependencies.ts). */
interface Dependencies {
  layers: number;
  compared: number;
  items: { repository: Repository; sharedLayers: number; sharedBytes: number }[];
}

/**
 * 依赖关系: the other repositories sharing layers with this one. List items
 * carry no layers (issue 15), so the server compares them, over every
 * repository this token sees, once the tab is `active`.
 */
export function DependenciesTab({ r, active }: { r: Repository; active: boolean }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { namespace, name } = r.metadata;
  const all = useQuery({
    queryKey: ['repositories', 'dependencies', namespace, name, r.metadata.resourceVersion],
    queryFn: ({ signal }) => request<Dependencies>(nsPath(namespace, 'repositories', name, 'dependencies'), { signal }),
    enabled: active,
    staleTime: 15_000,
  });
  const mine = useMemo(() => layersOf(r), [r]);
  const rows = useMemo(() => (all.data?.items ?? []).map((x) => ({ repo: x.repository, shared: x.sharedLayers, bytes: x.sharedBytes })), [all.data]);
  if (mine.size === 0) return <Empty description={t('deps.notSynced')} />;
  if (all.isLoading) return <Skeleton active />;
  if (all.isError) return <Alert type="error" showIcon title={t('common.loadFailed', { msg: all.error.message })} />;
  return (
    <>
      <Typography.Paragraph type="secondary">{t('deps.help', { n: all.data?.compared ?? 0 })}</Typography.Paragraph>
      <Table
        size="small"
        rowKey={(x) => objKey(x.repo)}
        dataSource={rows}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('deps.empty')} /> }}
        rowClassName={() => 'clickable-row'}
        onRow={(x) => ({ onClick: () => navigate(paths.repository(x.repo)) })}
        columns={[
          { title: t('repo.col.name'), key: 'name', render: (_, x) => <Link to={paths.repository(x.repo)}>{x.repo.metadata.name}</Link> },
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
