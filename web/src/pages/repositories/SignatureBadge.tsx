import { Tag } from 'antd';
import { HoverTip } from '../../components/HoverTip.tsx';
import type { Repository } from '../../api/client.ts';
import { useI18n } from '../../i18n.tsx';

type Signed = NonNullable<NonNullable<Repository['status']>['signature']>['signed'];

const COLOR: Record<Signed, string> = { verified: 'green', unsigned: 'orange', invalid: 'red', 'not-checked': 'default' };

/**
 * Whether the last sync found the image signed by one of spec.signature's
 * keys (status.signature, docs/api.md); the reason of an `unsigned` or
 * `invalid` verdict in a tooltip. Nothing before the first check.
 */
export function SignatureBadge({ r }: { r: Repository }) {
  const { t } = useI18n();
  const sig = r.status?.signature;
  const signed: Signed | undefined = sig?.signed ?? (r.spec.signature ? undefined : 'not-checked');
  if (!signed) return <span>—</span>;
  const tag = (
    <Tag color={COLOR[signed]} data-signed={signed}>
      {t(`signed.${signed}`)}
    </Tag>
  );
  return sig?.message ? <HoverTip title={sig.message}>{tag}</HoverTip> : tag;
}
