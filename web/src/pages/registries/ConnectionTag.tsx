import { Tag, Tooltip } from 'antd';
import type { Registry } from '../../api/client.ts';
import { useI18n } from '../../i18n.tsx';

/** The last connection test's outcome: 可访问 / 认证失败 / 不可访问 / 未检查, with the server's message. */
export function ConnectionTag({ r }: { r: Registry }) {
  const { t } = useI18n();
  const s = r.status;
  if (!s || s.reachable === undefined) return <Tag>{t('reg.unknown')}</Tag>;
  const ok = s.reachable && s.authenticated;
  return (
    <Tooltip title={s.message}>
      <Tag color={ok ? 'green' : s.reachable ? 'orange' : 'red'} data-testid={`conn-${r.metadata.name}`}>
        {!s.reachable ? t('reg.unreachable') : s.authenticated ? t('reg.reachable') : t('reg.notAuthenticated')}
      </Tag>
    </Tooltip>
  );
}
