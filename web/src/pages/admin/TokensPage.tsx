/** 访问令牌: the tokens an admin administers; create (shown once) and revoke. */
import { useState } from 'react';
import { App, Button, Empty, Result, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { DeleteOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { revokeToken, type TokenItem } from '../../api/tokens.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { TypedConfirm } from '../../components/TypedConfirm.tsx';
import { formatTime, fromNow } from '../../format.ts';
import { adminKeys, useTokens } from '../../hooks/useAdmin.ts';
import { useMe } from '../../hooks/useSession.ts';
import { useI18n } from '../../i18n.tsx';
import { SecretOnceModal, type ShownOnce } from './SecretOnceModal.tsx';
import { TokenCreateModal } from './TokenCreateModal.tsx';

const ROLE_COLOR = { viewer: 'default', editor: 'blue', admin: 'gold' } as const;

export function TokensPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const tokens = useTokens();
  const me = useMe();
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<ShownOnce | null>(null);
  const [revoking, setRevoking] = useState<TokenItem | null>(null);

  const columns: TableColumnsType<TokenItem> = [
    { title: t('admin.tokens.col.name'), key: 'name', render: (_, r) => <Typography.Text strong>{r.metadata.name}</Typography.Text> },
    { title: t('admin.tokens.col.role'), key: 'role', width: 120, render: (_, r) => <Tag color={ROLE_COLOR[r.spec.role]}>{t(`admin.role.${r.spec.role}`)}</Tag> },
    {
      title: t('admin.tokens.col.namespaces'),
      key: 'namespaces',
      render: (_, r) => (r.spec.namespaces?.length ? <Space size={[4, 4]} wrap>{r.spec.namespaces.map((n) => <Tag key={n}>{n}</Tag>)}</Space> : <Typography.Text type="secondary">{t('admin.allNamespaces')}</Typography.Text>),
    },
    {
      title: t('admin.tokens.col.created'),
      key: 'created',
      width: 200,
      render: (_, r) => (r.metadata.creationTimestamp ? <Tooltip title={formatTime(r.metadata.creationTimestamp)}>{fromNow(r.metadata.creationTimestamp)}</Tooltip> : t('common.none')),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 120,
      // The token this console signed in with is not offered: revoking it would lock the user out mid-click.
      render: (_, r) =>
        r.metadata.name === me.data?.username ? (
          <Tooltip title={t('admin.tokens.current')}>
            <Tag data-testid={`current-${r.metadata.name}`}>{t('admin.tokens.currentTag')}</Tag>
          </Tooltip>
        ) : (
          <Button size="small" danger icon={<DeleteOutlined />} onClick={() => setRevoking(r)} data-testid={`revoke-${r.metadata.name}`}>
            {t('admin.tokens.revoke')}
          </Button>
        ),
    },
  ];

  return (
    <div>
      <div className="page-head">
        <div>
          <h1>{t('admin.tokens.title')}</h1>
          <p>{t('admin.tokens.subtitle')}</p>
        </div>
        {me.data?.role === 'admin' && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="create-token">
            {t('admin.tokens.create')}
          </Button>
        )}
      </div>
      <div className="toolbar">
        <div className="grow" />
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void tokens.refetch()} />
      </div>
      <div className="panel">
        {tokens.isError ? (
          <Result status="error" title={<ErrorText err={tokens.error} prefix={t('common.loadFailed')} />} extra={<Button onClick={() => void tokens.refetch()}>{t('common.retry')}</Button>} />
        ) : (
          <Table<TokenItem>
            rowKey={(r) => r.metadata.name}
            dataSource={tokens.data ?? []}
            loading={tokens.isLoading}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            tableLayout="fixed"
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('admin.tokens.empty')} /> }}
            columns={columns}
          />
        )}
      </div>
      <TokenCreateModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(item, token) => {
          setCreating(false);
          setShown({ title: t('admin.tokens.createdTitle', { name: item.metadata.name }), label: t('admin.tokens.value'), warning: t('admin.tokens.onceWarn'), value: token });
          void queryClient.invalidateQueries({ queryKey: adminKeys.tokens });
        }}
      />
      <SecretOnceModal shown={shown} onClose={() => setShown(null)} />
      <TypedConfirm
        open={revoking !== null}
        title={t('admin.tokens.revokeTitle')}
        warning={t('admin.tokens.revokeWarn')}
        prompt={t('admin.tokens.revokeType', { name: revoking?.metadata.name ?? '' })}
        expected={revoking?.metadata.name ?? ''}
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          if (!revoking) return;
          await revokeToken(revoking.metadata.name);
          message.success(t('admin.tokens.revoked', { name: revoking.metadata.name }));
          void queryClient.invalidateQueries({ queryKey: adminKeys.tokens });
        }}
      />
    </div>
  );
}
