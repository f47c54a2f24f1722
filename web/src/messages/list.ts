/** The repository list's health and storage columns and filters, and its virtualised table. */
import type { Messages } from './messages.ts';

export const listMessages = {
  'list.col.health': ['健康状态', 'Health'],
  'list.col.storage': ['存储占用', 'Storage'],
  'list.health.Healthy': ['健康', 'Healthy'],
  'list.health.Degraded': ['降级', 'Degraded'],
  'list.health.Unhealthy': ['不健康', 'Unhealthy'],
  'list.health.Unknown': ['未检查', 'Unknown'],
  // What each state means (src/api/types.ts RepositoryHealth), in the user's language; the checker's own words follow as a detail.
  'list.health.why.Healthy': ['源标签仍是上次同步的摘要，镜像副本完整可拉取。', 'The source tag still has the digest last synced, and the mirror holds what the last sync put there.'],
  'list.health.why.Degraded': ['镜像副本仍可拉取，但源不可达或源标签在上次同步后已变化（下次同步会更新）。', 'The mirror still serves, but the source does not answer or its tag moved since the last sync (the next sync takes it).'],
  'list.health.why.Unhealthy': ['镜像副本缺失或不可达（无镜像副本时为源）：集群无法拉取此镜像。', 'The mirror lacks its image or does not answer (without a mirror, the source): clusters cannot pull it.'],
  'list.health.why.Unknown': ['健康检查尚未检查过此镜像。', 'No health check has looked at this image yet.'],
  'list.health.checkedAt': ['检查时间：{time}', 'Checked at {time}'],
  'list.health.source': ['源', 'Source'],
  'list.health.mirror': ['镜像副本', 'Mirror'],
  'list.health.ok': ['可拉取', 'pullable'],
  'list.health.notOk': ['不可拉取', 'not pullable'],
  'list.storage.source': ['源：{bytes}（{blobs} 个数据块）', 'Source: {bytes} ({blobs} blobs)'],
  'list.storage.mirror': ['镜像副本：{bytes}（{blobs} 个数据块）', 'Mirror: {bytes} ({blobs} blobs)'],
  'list.storage.note': ['按配置与各层计算，共享层只计一次。', 'Configs and layers, shared layers counted once.'],
  'list.storage.none': ['同步成功后显示', 'Shown after a successful sync'],
  'list.filter.status': ['同步状态筛选', 'Sync status filter'],
  'list.filter.statusAll': ['全部同步状态', 'Any sync status'],
  'list.filter.health': ['健康状态筛选', 'Health filter'],
  'list.filter.healthAll': ['全部健康状态', 'Any health'],
  'list.emptyFiltered': ['没有符合筛选条件的镜像。', 'No image matches the filters.'],
  'list.clearFilters': ['清除筛选', 'Clear filters'],
} as const satisfies Messages;
