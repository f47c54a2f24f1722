import { Descriptions, Tag, Typography } from 'antd';
import type { Repository } from '../../api/client.ts';
import { ImageRef } from '../../components/ImageRef.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useRegistries } from '../../hooks/useRegistries.ts';
import { describeSyncFailure } from '../../api/errorText.ts';
import { SignatureBadge } from '../repositories/SignatureBadge.tsx';
import { ClusterReference } from './ClusterReference.tsx';
import { HealthInfo } from './HealthInfo.tsx';
import { description, displayName, formatTime, fromNow, registryHost, syncStatus } from '../../format.ts';
import { useI18n } from '../../i18n.tsx';

/** 基本信息: the spec with its defaults, and the last sync's status. */
export function BasicInfoTab({ r }: { r: Repository }) {
  const { t } = useI18n();
  const s = r.status;
  const registryNs = r.spec.registryRef.namespace ?? r.metadata.namespace;
  const registries = useRegistries();
  // The list shows the registry's host even before a sync has recorded it (status.domain): so do the details.
  const registry = registries.data?.items.find((x) => x.metadata.namespace === registryNs && x.metadata.name === r.spec.registryRef.name);
  const host = s?.domain ?? (registry ? registryHost(registry.spec.url) : undefined);
  return (
    // Labels never wrap (命名空间, 最后同步时间 broke over two lines).
    <Descriptions column={{ xs: 1, md: 2 }} bordered size="small" data-testid="basic-info" styles={{ label: { whiteSpace: 'nowrap' } }}>
      <Descriptions.Item label={t('form.name')}>{r.metadata.name}</Descriptions.Item>
      <Descriptions.Item label={t('form.displayName')}>{displayName(r) ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={t('form.namespace')}>{r.metadata.namespace}</Descriptions.Item>
      <Descriptions.Item label={t('form.description')}>{description(r) ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={t('detail.registryRef')}>{`${registryNs}/${r.spec.registryRef.name}`}{host ? ` (${host})` : ''}</Descriptions.Item>
      <Descriptions.Item label={t('detail.image')}><ImageRef value={`${host ? `${host}/` : ''}${r.spec.repository}:${r.spec.tag}`} /></Descriptions.Item>
      <Descriptions.Item label={t('repo.col.status')}><StatusBadge status={syncStatus(r)} message={s?.message} reason={s?.reason} /></Descriptions.Item>
      <Descriptions.Item label={t('repo.col.lastSynced')}>{s?.lastSynced ? `${formatTime(s.lastSynced)} (${fromNow(s.lastSynced)})` : '—'}</Descriptions.Item>
      <Descriptions.Item label={t('form.syncInterval')}>{r.spec.syncInterval ?? '1h'}</Descriptions.Item>
      <Descriptions.Item label={t('detail.nextSync')}>{formatTime(s?.nextSyncTime)}</Descriptions.Item>
      <Descriptions.Item label={t('form.syncTimeout')}>{r.spec.syncTimeout ?? '10m'}</Descriptions.Item>
      <Descriptions.Item label={t('form.retryCount')}>{r.spec.retryCount ?? 3}</Descriptions.Item>
      <Descriptions.Item label={t('detail.digest')}><span className="mono">{s?.observedDigest ?? '—'}</span></Descriptions.Item>
      <Descriptions.Item label={t('detail.created')}>{formatTime(r.metadata.creationTimestamp)}</Descriptions.Item>
      {r.spec.mirror && (
        <Descriptions.Item label={t('detail.mirror')} span={2}>
          {s?.mirror?.image ? <ImageRef value={s.mirror.image} /> : <span className="mono">{`${r.spec.mirror.registryRef.namespace ?? r.metadata.namespace}/${r.spec.mirror.registryRef.name} → ${r.spec.mirror.repository ?? r.spec.repository}:${r.spec.mirror.tag ?? r.spec.tag}`}</span>}
          {s?.mirror?.lastSynced ? ` · ${formatTime(s.mirror.lastSynced)}` : ''}
        </Descriptions.Item>
      )}
      <Descriptions.Item label={t('detail.clusterRef')} span={2}>
        <ClusterReference r={r} />
      </Descriptions.Item>
      {(r.spec.signature || s?.signature) && (
        <Descriptions.Item label={t('detail.signature')} span={2}>
          <SignatureBadge r={r} />
          {r.spec.signature?.require ? <Tag color="blue">{t('signed.required')}</Tag> : null}
          {r.spec.signature ? `${t('signed.keys', { n: r.spec.signature.publicKeys.length })} · ` : ''}
          {s?.signature?.checkedAt ? formatTime(s.signature.checkedAt) : ''}
          {s?.signature?.message ? <Typography.Text type="secondary"> {s.signature.message}</Typography.Text> : null}
        </Descriptions.Item>
      )}
      {s?.health && (
        <Descriptions.Item label={t('detail.health')} span={2}>
          <HealthInfo health={s.health} />
        </Descriptions.Item>
      )}
      {s?.message && (
        <Descriptions.Item label={t('detail.message')} span={2}>
          <Typography.Text type={syncStatus(r) === 'Failed' ? 'danger' : undefined} title={s.message}>{describeSyncFailure(s, t)?.text}</Typography.Text>
        </Descriptions.Item>
      )}
    </Descriptions>
  );
}
