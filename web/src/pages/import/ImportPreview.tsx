/**
 * 预览: the dry run's rows (origin, name, source, state, and each row's
 * causes in the user's language, the server's words on hover), a page of 50
 * at a time so that a 1,000-line paste stays responsive, and 全部创建, which
 * stays disabled, saying why, while any row is invalid or the preview is stale.
 */
import { memo, useMemo, useState } from 'react';
import { Alert, Button, Space, Switch, Table, type TableColumnsType, Tag, Typography } from 'antd';
import { CheckCircleOutlined, CloudUploadOutlined } from '@ant-design/icons';
import type { ImportResult, ImportRow } from '../../api/imports.ts';
import { useI18n } from '../../i18n.tsx';
import { causeText } from './causeText.ts';

const STATE_COLOR: Record<ImportRow['state'], string> = { create: 'blue', exists: 'default', invalid: 'error' };

const rowKey = (r: ImportRow) => `${r.kind}/${r.row}`;

/** Memoised: typing in a 1,000-line text re-renders the form, not the table (its props hold still while the text changes). */
export const ImportPreview = memo(function ImportPreview({ result, stale, creating, canCreate, onCreate }: { result: ImportResult; stale: boolean; creating: boolean; canCreate: boolean; onCreate: () => void }) {
  const { t, lang } = useI18n();
  const [onlyInvalid, setOnlyInvalid] = useState(false);
  const ns = result.metadata.namespace;
  const { rows, valid, invalid, existing } = result.status;
  const toCreate = valid - existing;

  const columns = useMemo<TableColumnsType<ImportRow>>(
    () => [
      { title: t('import.col.row'), dataIndex: 'row', width: 56 },
      {
        title: t('import.col.origin'),
        dataIndex: 'origin',
        width: 88,
        render: (origin: string) => {
          const line = /^line (\d+)$/.exec(origin);
          return line ? t('import.origin.line', { n: line[1]! }) : origin;
        },
      },
      { title: t('import.col.kind'), dataIndex: 'kind', width: 80, render: (kind: ImportRow['kind']) => t(kind === 'Registry' ? 'kind.registry' : 'kind.repository') },
      { title: t('import.col.name'), dataIndex: 'name', width: '20%', ellipsis: true, render: (name: string) => <span className="mono" title={name}>{name || t('common.none')}</span> },
      {
        title: t('import.col.source'),
        dataIndex: 'source',
        ellipsis: true,
        render: (s: string | undefined, row: ImportRow) => (
          <>
            <span className="mono" title={s}>{s ?? t('common.none')}</span>
            {/* A filter entry follows several tags: say which, as its first sync takes them. */}
            {row.tags && row.tags.length > 1 && (
              <div title={row.tags.join(', ')} data-testid="import-followed-tags">
                <Typography.Text type="secondary">{t('import.followedTags', { n: row.tags.length, tags: row.tags.slice(0, 5).join(', ') + (row.tags.length > 5 ? ' …' : '') })}</Typography.Text>
              </div>
            )}
          </>
        ),
      },
      {
        title: t('import.col.state'),
        dataIndex: 'state',
        width: 96,
        render: (state: ImportRow['state']) => (
          <Tag color={STATE_COLOR[state]} data-state={state}>
            {t(`import.state.${state}`)}
          </Tag>
        ),
      },
      {
        title: t('import.col.causes'),
        key: 'causes',
        width: '32%',
        render: (_: unknown, row: ImportRow) => {
          if (row.state === 'create') return <Typography.Text type="success"><CheckCircleOutlined /> {t('import.ok')}</Typography.Text>;
          if (row.state === 'exists') return <Typography.Text type="secondary">{t('import.existsSkipped')}</Typography.Text>;
          return row.causes.map((c, i) => {
            const d = causeText(c, row, ns, t);
            return (
              // The server's words as the tooltip only (issue 16): the text is the user's language.
              <div key={i} title={d.detail} data-testid="import-cause">
                <Typography.Text type="danger">{d.text}</Typography.Text>
              </div>
            );
          });
        },
      },
    ],
    [t, ns],
  );

  const shown = useMemo(() => (onlyInvalid ? result.rows.filter((r) => r.state === 'invalid') : result.rows), [onlyInvalid, result.rows]);
  const blocked = stale ? t('import.blockedStale') : invalid > 0 ? t('import.blockedInvalid', { n: invalid }) : toCreate === 0 ? t('import.blockedNothing') : undefined;

  return (
    <div className="panel" style={{ padding: 16, marginTop: 12 }} data-testid="import-preview">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Text strong data-testid="import-summary">
          {t('import.summary', { rows, format: t(`import.format.${result.format}`), create: toCreate, exists: existing, invalid })}
        </Typography.Text>
        <Space>
          <Switch size="small" checked={onlyInvalid} onChange={setOnlyInvalid} disabled={invalid === 0} aria-label={t('import.onlyInvalid')} />
          <Typography.Text>{t('import.onlyInvalid')}</Typography.Text>
        </Space>
      </Space>
      <Table<ImportRow>
        key={lang}
        rowKey={rowKey}
        size="small"
        tableLayout="fixed"
        columns={columns}
        dataSource={shown}
        pagination={{ pageSize: 50, showSizeChanger: false, hideOnSinglePage: true }}
        rowClassName={(r) => (r.state === 'invalid' ? 'import-row-invalid' : '')}
      />
      {canCreate && (
        <div style={{ display: 'flex', flexDirection: 'column', alignItems: 'flex-start', gap: 8, marginTop: 12 }}>
          {blocked && <Alert type={stale ? 'info' : 'warning'} showIcon title={blocked} data-testid="import-blocked" />}
          <Button type="primary" icon={<CloudUploadOutlined />} disabled={blocked !== undefined} loading={creating} onClick={onCreate} data-testid="import-create">
            {t('import.createAll', { n: toCreate })}
          </Button>
        </div>
      )}
    </div>
  );
});
