import { Space, Typography } from 'antd';
import type { Repository } from '../../api/client.ts';
import { clusterReference } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';

/**
 * 集群引用: the image as a cluster should name it (in a manifest or Helm
 * values), by digest and by tag, each with a copy button. Nothing until a
 * sync has said where the image is.
 */
export function ClusterReference({ r }: { r: Repository }) {
  const { t } = useI18n();
  const ref = clusterReference(r);
  if (!ref) return <Typography.Text type="secondary">{t('detail.refNotYet')}</Typography.Text>;
  const copyable = (text: string) => ({ text, tooltips: [t('common.copy'), t('common.copied')] });
  return (
    <Space orientation="vertical" size={2} data-testid="cluster-ref">
      {ref.pinned && (
        <span>
          <Typography.Text type="secondary">{t('detail.refPinned')}: </Typography.Text>
          <Typography.Text code copyable={copyable(ref.pinned)} data-testid="cluster-ref-pinned">{ref.pinned}</Typography.Text>
        </span>
      )}
      <span>
        <Typography.Text type="secondary">{t('detail.refTagged')}: </Typography.Text>
        <Typography.Text code copyable={copyable(ref.tagged)} data-testid="cluster-ref-tagged">{ref.tagged}</Typography.Text>
      </span>
      {!ref.mirrored && <Typography.Text type="secondary">{t('detail.refSource')}</Typography.Text>}
    </Space>
  );
}
