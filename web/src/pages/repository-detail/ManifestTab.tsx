import { Collapse, Descriptions, Empty, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ManifestInfo } from '../../../../src/api/types.ts';
import type { Repository } from '../../api/client.ts';
import { formatBytes, formatTime, shortDigest, syncStatus } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';

function platformName(m: ManifestInfo): string {
  return [m.os, m.architecture, m.variant].filter(Boolean).join('/') || '—';
}

/** 镜像清单: one panel per platform (digest, size, build time) with its layers. */
export function ManifestTab({ r }: { r: Repository }) {
  const { t } = useI18n();
  const platforms = r.status?.platforms?.length ? r.status.platforms : r.status?.manifest ? [r.status.manifest] : [];
  // A failed first sync has no manifest either, but "not synced yet" would hide that it failed.
  if (platforms.length === 0) return <Empty description={t(syncStatus(r) === 'Failed' ? 'manifest.failed' : 'manifest.empty')} />;
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
