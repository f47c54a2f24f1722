/** 创建令牌: name, role and namespaces; the new token goes to `onCreated` (never into a query cache). */
import { useState } from 'react';
import { Alert, type ButtonProps, Form, Input, Modal, Select } from 'antd';
import type { Role } from '../../../../src/api/types.ts';
import { createToken, type TokenItem } from '../../api/tokens.ts';
import type { ErrorText } from '../../api/errorText.ts';
import { rules } from '../../forms/rules.ts';
import { useGuardedClose } from '../../forms/useGuardedClose.ts';
import { useNamespaces } from '../../hooks/useNamespaces.ts';
import { useI18n } from '../../i18n.tsx';
import { type FieldMessages, showServerErrors } from './formErrors.ts';

export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

interface Values {
  name: string;
  role: Role;
  namespaces?: string[];
}

const FIELDS: FieldMessages = {
  name: ['name', 'form.err.dns1123'],
  namespaces: ['namespaces', 'form.err.dns1123label'],
};

export function TokenCreateModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (item: TokenItem, token: string) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const namespaces = useNamespaces();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorText | undefined>();
  const close = () => {
    form.resetFields();
    setError(undefined);
    onClose();
  };
  const guardedClose = useGuardedClose(form, close);
  const role = Form.useWatch('role', form);

  async function submit(v: Values) {
    setBusy(true);
    setError(undefined);
    try {
      const { item, token } = await createToken({ name: v.name.trim(), role: v.role, ...(v.namespaces?.length ? { namespaces: v.namespaces } : {}) });
      form.resetFields();
      onCreated(item, token);
    } catch (err) {
      setError(showServerErrors(form, err, FIELDS, { field: 'name', value: v.name.trim() }, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      open={open}
      title={t('admin.tokens.createTitle')}
      okText={t('admin.tokens.create')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, htmlType: 'submit', form: 'token-create', 'data-testid': 'token-submit' } as ButtonProps}
      onCancel={guardedClose}
      destroyOnHidden
    >
      <Form<Values> id="token-create" form={form} layout="vertical" initialValues={{ role: 'viewer' }} onFinish={(v) => void submit(v)} preserve={false}>
        <Form.Item name="name" label={t('admin.tokens.name')} extra={t('admin.tokens.nameHelp')} rules={[rules.required(t), rules.name(t)]}>
          <Input autoComplete="off" autoFocus />
        </Form.Item>
        <Form.Item name="role" label={t('admin.tokens.role')} extra={role ? t(`admin.tokens.roleHelp.${role}`) : undefined} rules={[rules.required(t)]}>
          <Select aria-label={t('admin.tokens.role')} options={ROLES.map((r) => ({ value: r, label: t(`admin.role.${r}`) }))} />
        </Form.Item>
        <Form.Item name="namespaces" label={t('admin.tokens.namespaces')} extra={t('admin.tokens.namespacesHelp')}>
          <Select
            mode="multiple"
            aria-label={t('admin.tokens.namespaces')}
            placeholder={t('admin.tokens.namespacesPlaceholder')}
            loading={namespaces.isLoading}
            options={(namespaces.data ?? []).map((n) => ({ value: n, label: n }))}
            allowClear
          />
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon title={<span title={error.detail} data-testid="error-text">{error.text}</span>} />}
    </Modal>
  );
}
