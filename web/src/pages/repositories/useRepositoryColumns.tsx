import { useMemo } from 'react';
import { Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { DeleteOutlined, EditOutlined, EyeOutlined, SyncOutlined } from '@ant-design/icons';
import { Link } from 'react-router';
import type { Repository } from '../../api/client.ts';
import { HoverTip } from '../../components/HoverTip.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { HealthBadge } from './HealthBadge.tsx';
import { RowActions } from './RowActions.tsx';
import { SignatureBadge } from './SignatureBadge.tsx';
import { StorageCell } from './StorageCell.tsx';
import { displayName, formatTime, fromNow, syncStatus } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';

/** What the ⋯ menu of a row offers (a viewer gets `view` only). */
export type RowAction = 'view' | 'sync' | 'edit' | 'delete';

/** The table's least width: below it the list scrolls sideways instead of squeezing the path column to nothing. */
export const MIN_TABLE_WIDTH = 960;

/**
 * The list's columns, for a fixed table layout (issue 16: widths that
 * followed the content jumped as rows loaded, and squeezed the name to
 * 70 px at 1280 px): names and paths take a share of the width and end in
 * an ellipsis with the whole text on hover, never breaking mid-token; short
 * fixed-size values get fixed widths. Cells re-render only when their row changes
 * (`shouldCellUpdate`), so the table must be re-keyed when anything else a
 * cell shows changes: the language, `hostOf`, `canWrite`. The virtual
 * table (RepositoriesPage) reads percentages against its scroll width, the
 * panel's width or MIN_TABLE_WIDTH.
 */
export function useRepositoryColumns({ hostOf, canWrite, onAction }: { hostOf: Map<string, string>; canWrite: boolean; onAction: (action: RowAction, r: Repository) => void }): TableColumnsType<Repository> {
  const { t } = useI18n();
  return useMemo(() => {
    const columns: TableColumnsType<Repository> = [
      {
        title: t('repo.col.name'),
        key: 'name',
        width: '16%',
        render: (_, r) => (
          <div className="name-cell">
            <Link to={paths.repository(r)} onClick={(e) => e.stopPropagation()} title={r.metadata.name}>
              {r.metadata.name}
            </Link>
            {displayName(r) && <div className="alias" title={displayName(r)}>{displayName(r)}</div>}
          </div>
        ),
      },
      { title: t('repo.col.namespace'), key: 'namespace', width: '11%', ellipsis: true, render: (_, r) => r.metadata.namespace },
      {
        title: t('repo.col.registry'),
        key: 'registry',
        width: '10%',
        ellipsis: true,
        render: (_, r) => r.status?.domain ?? hostOf.get(`${r.spec.registryRef.namespace ?? r.metadata.namespace}/${r.spec.registryRef.name}`) ?? r.spec.registryRef.name,
      },
      { title: t('repo.col.path'), key: 'path', ellipsis: true, render: (_, r) => <span className="mono" title={`${r.spec.repository}:${r.spec.tag}`}>{`${r.spec.repository}:${r.spec.tag}`}</span> },
      {
        title: t('repo.col.lastSynced'),
        key: 'lastSynced',
        width: 150,
        render: (_, r) => (r.status?.lastSynced ? <HoverTip title={fromNow(r.status.lastSynced)}><span>{formatTime(r.status.lastSynced)}</span></HoverTip> : <Typography.Text type="secondary">—</Typography.Text>),
      },
      { title: t('repo.col.status'), key: 'status', width: 100, render: (_, r) => <StatusBadge status={syncStatus(r)} message={r.status?.message} reason={r.status?.reason} /> },
      { title: t('list.col.health'), key: 'health', width: 110, ellipsis: true, render: (_, r) => <HealthBadge health={r.status?.health} /> },
      // Storage and signature only where there is room (antd's xxl: 1600 px and wider): at 1280 px they squeezed the name and path (layout.test.ts).
      { title: t('list.col.storage'), key: 'storage', width: 100, ellipsis: true, responsive: ['xxl'], render: (_, r) => <StorageCell r={r} /> },
      { title: t('repo.col.signed'), key: 'signed', width: 80, responsive: ['xxl'], render: (_, r) => <SignatureBadge r={r} /> },
      {
        title: t('common.actions'),
        key: 'actions',
        width: 64,
        align: 'center',
        render: (_, r) => (
          <span className="row-actions" onClick={(e) => e.stopPropagation()}>
            <RowActions
              label={t('common.moreActions', { name: r.metadata.name })}
              testId={`actions-${r.metadata.name}`}
              menu={() => ({
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
                onClick: ({ key, domEvent }) => {
                  domEvent.stopPropagation();
                  onAction(key as RowAction, r);
                },
              })}
            />
          </span>
        ),
      },
    ];
    return columns.map((c) => ({ ...c, shouldCellUpdate: (record: Repository, prev: Repository) => record !== prev }));
  }, [t, hostOf, canWrite, onAction]);
}
