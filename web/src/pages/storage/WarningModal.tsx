/** 设置告警: an admin sets a namespace's storage warning as a size ("5 GiB"); the server gets the bytes. */
import { useEffect, useState } from 'react';
import { Alert, Button, Form, Input, Modal } from 'antd';
import { parseByteSize } from '../../../../src/api/bytes.ts';
import { putStorageWarning } from '../../api/storage.ts';
import { ErrorText } from '../../components/ErrorText.tsx';
import { formatBytes } from '../../format.ts';
import { useGuardedClose } from '../../forms/useGuardedClose.ts';
import { useI18n } from '../../i18n.tsx';
import { useNumbers } from '../../hooks/useNumbers.ts';

/** What the input holds as bytes: a size above zero, else undefined. */
const sizeOf = (text: string | undefined) => {
  const n = text ? parseByteSize(text) : undefined;
  return n !== undefined && n > 0 ? n : undefined;
};

/** The threshold as the input shows it: `5.0 GiB` when that is exactly it, else the bytes. */
const asText = (bytes: number | undefined) => (bytes === undefined ? '' : parseByteSize(formatBytes(bytes)) === bytes ? formatBytes(bytes) : String(bytes));

export interface WarningTarget {
  namespace: string;
  warningBytes?: number | undefined;
}

export function WarningModal({ target, onClose, onSaved }: { target: WarningTarget | null; onClose: () => void; onSaved: (namespace: string, bytes: number) => void }) {
  const { t } = useI18n();
  const { count } = useNumbers();
  const [form] = Form.useForm<{ threshold: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const threshold = Form.useWatch('threshold', form);
  const guardedClose = useGuardedClose(form, onClose);
  // A new opening starts without the last one's error.
  const [shownFor, setShownFor] = useState(target);
  if (target !== shownFor) {
    setShownFor(target);
    setError(null);
  }
  // The form store outlives the modal's content: fill it afresh for each namespace.
  useEffect(() => {
    if (!target) return;
    form.resetFields();
    form.setFieldsValue({ threshold: asText(target.warningBytes) });
  }, [target, form]);
  async function save() {
    if (!target) return;
    let bytes: number | undefined;
    try {
      bytes = sizeOf((await form.validateFields()).threshold);
    } catch {
      return; // the field shows why
    }
    if (bytes === undefined) return;
    setBusy(true);
    setError(null);
    try {
      // The bytes, not the text: what the input's hint showed is exactly what is stored.
      await putStorageWarning(target.namespace, bytes);
      onSaved(target.namespace, bytes);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const parsed = sizeOf(threshold);
  return (
    <Modal
      open={target !== null}
      title={target ? t('storage.warningTitle', { ns: target.namespace }) : ''}
      // Esc, the mask and ✕ ask before dropping a typed threshold; 取消 is explicit.
      onCancel={guardedClose}
      footer={[
        <Button key="cancel" onClick={onClose}>{t('common.cancel')}</Button>,
        <Button key="save" type="primary" loading={busy} onClick={() => void save()} data-testid="warning-submit">{t('common.save')}</Button>,
      ]}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" name="storage-warning" onFinish={save}>
        <Form.Item
          name="threshold"
          label={t('storage.threshold')}
          extra={parsed !== undefined ? t('storage.thresholdIs', { bytes: t('storage.exactBytes', { n: count(parsed) }) }) : t('storage.warningHelp')}
          rules={[{ validator: async (_, value: string | undefined) => { if (sizeOf(value) === undefined) throw new Error(t('storage.thresholdInvalid')); } }]}
        >
          <Input placeholder={t('storage.thresholdPlaceholder')} autoFocus data-testid="warning-input" />
        </Form.Item>
      </Form>
      {error !== null && <Alert type="error" showIcon title={<ErrorText err={error} />} />}
    </Modal>
  );
}
