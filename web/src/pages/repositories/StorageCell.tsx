import { Typography } from 'antd';
import { HoverTip } from '../../components/HoverTip.tsx';
import type { Repository } from '../../api/client.ts';
import { formatBytes } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';

/**
 * `status.storage` (src/api/storage-usage.ts, set by each sync): the bytes
 * the image takes in its mirror, or at its source without one (both on
 * hover, with blob counts); shared
 * layers counted once, as GET /storage counts them. Before a sync has
 * described the image there is nothing to count.
 */
export function StorageCell({ r }: { r: Repository }) {
  const { t } = useI18n();
  const s = r.status?.storage;
  if (!s) {
    return (
      <HoverTip title={t('list.storage.none')}>
        <Typography.Text type="secondary" data-storage="none">—</Typography.Text>
      </HoverTip>
    );
  }
  const mirrored = Boolean(r.spec.mirror);
  const title = (
    <div>
      <div>{t('list.storage.source', { bytes: formatBytes(s.source.bytes), blobs: s.source.blobs })}</div>
      {mirrored && <div>{t('list.storage.mirror', { bytes: formatBytes(s.mirror.bytes), blobs: s.mirror.blobs })}</div>}
      <div style={{ opacity: 0.75, marginTop: 4 }}>{t('list.storage.note')}</div>
    </div>
  );
  return (
    <HoverTip title={title}>
      {/* One figure fits the column: what clusters pull from (the mirror when there is one); both are on hover. */}
      <span className="storage-cell" data-source-bytes={s.source.bytes} data-mirror-bytes={mirrored ? s.mirror.bytes : undefined}>
        {formatBytes(mirrored ? s.mirror.bytes : s.source.bytes)}
      </span>
    </HoverTip>
  );
}
