/** 添加 Webhook: name, URL and event types (none: every event); the signing secret goes to `onCreated`, shown once. */
import { useState } from 'react';
import { Alert, type ButtonProps, Checkbox, Form, Input, Modal } from 'antd';
import type { ErrorText } from '../../api/errorText.ts';
import { createWebhook, WEBHOOK_EVENT_TYPES, type Webhook, type WebhookEvent } from '../../api/webhooks.ts';
import { rules } from '../../forms/rules.ts';
import { useGuardedClose } from '../../forms/useGuardedClose.ts';
import { type Translate, useI18n } from '../../i18n.tsx';
import { eventLabel } from './deliveryText.ts';
import { type FieldMessages, showServerErrors } from './formErrors.ts';

interface Values {
  name: string;
  url: string;
  events?: WebhookEvent[];
}

const FIELDS: FieldMessages = {
  'metadata.name': ['name', 'form.err.dns1123'],
  'spec.url': ['url', 'admin.hooks.err.url'],
  'spec.events': ['events', 'admin.hooks.eventsHelp'],
};

/** What the server refuses in a URL (src/server/routes/webhooks.ts), checked first so the user reads why in their language. */
function urlProblem(s: string, t: Translate): string | undefined {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return t('admin.hooks.err.url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return t('admin.hooks.err.url');
  if (u.username || u.password) return t('admin.hooks.err.urlCredentials');
  if (u.hash) return t('admin.hooks.err.urlFragment');
  return undefined;
}

export function WebhookCreateModal({ namespace, onClose, onCreated }: { namespace: string | null; onClose: () => void; onCreated: (w: Webhook, secret: string) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorText | undefined>();
  const close = () => {
    form.resetFields();
    setError(undefined);
    onClose();
  };
  const guardedClose = useGuardedClose(form, close);

  async function submit(v: Values) {
    if (namespace === null) return;
    setBusy(true);
    setError(undefined);
    try {
      const { webhook, secret } = await createWebhook(namespace, v.name.trim(), { url: v.url.trim(), ...(v.events?.length ? { events: v.events } : {}) });
      form.resetFields();
      onCreated(webhook, secret);
    } catch (err) {
      setError(showServerErrors(form, err, FIELDS, { field: 'name', value: v.name.trim() }, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      open={namespace !== null}
      title={t('admin.hooks.createTitle', { ns: namespace ?? '' })}
      okText={t('admin.hooks.create')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, htmlType: 'submit', form: 'webhook-create', 'data-testid': 'webhook-submit' } as ButtonProps}
      onCancel={guardedClose}
      destroyOnHidden
    >
      <Form<Values> id="webhook-create" form={form} layout="vertical" onFinish={(v) => void submit(v)} preserve={false}>
        <Form.Item name="name" label={t('admin.hooks.name')} rules={[rules.required(t), rules.name(t)]}>
          <Input autoComplete="off" autoFocus />
        </Form.Item>
        <Form.Item
          name="url"
          label={t('admin.hooks.url')}
          extra={t('admin.hooks.urlHelp')}
          rules={[rules.required(t), { validator: (_, v: string) => { const p = v ? urlProblem(v.trim(), t) : undefined; return p ? Promise.reject(new Error(p)) : Promise.resolve(); } }]}
        >
          <Input autoComplete="off" className="mono" />
        </Form.Item>
        <Form.Item name="events" label={t('admin.hooks.events')} extra={t('admin.hooks.eventsHelp')}>
          <Checkbox.Group options={WEBHOOK_EVENT_TYPES.map((e) => ({ value: e, label: eventLabel(e, t) }))} />
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon title={<span title={error.detail} data-testid="error-text">{error.text}</span>} />}
    </Modal>
  );
}
