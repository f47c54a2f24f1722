import { useEffect, useState } from 'react';
import { Alert, Form, Input, Modal } from 'antd';
import type { Repository } from '../api/client.ts';
import { ErrorText } from './ErrorText.tsx';
import { updateRepositoryInfo } from '../api/repositories.ts';
import { description, displayName } from '../format.ts';
import { useI18n } from '../i18n.tsx';

/** 编辑信息: display name and description only (a merge patch of the two annotations). */
export function EditInfoModal({ repo, onClose, onSaved }: { repo: Repository | null; onClose: () => void; onSaved: (r: Repository) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ displayName: string; description: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // A new repository (or a new opening) starts without the last one's error.
  const [shownFor, setShownFor] = useState(repo);
  if (repo !== shownFor) {
    setShownFor(repo);
    setError(null);
  }
  // The form store outlives the modal's content: fill it afresh.
  useEffect(() => {
    if (!repo) return;
    form.resetFields();
    form.setFieldsValue({ displayName: displayName(repo) ?? '', description: description(repo) ?? '' });
  }, [repo, form]);
  async function save() {
    if (!repo) return;
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      onSaved(await updateRepositoryInfo(repo, { displayName: v.displayName.trim() || null, description: v.description.trim() || null }));
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal open={repo !== null} title={repo ? t('repo.editTitle', { name: repo.metadata.name }) : ''} okText={t('common.save')} cancelText={t('common.cancel')} onOk={save} onCancel={onClose} confirmLoading={busy} destroyOnHidden>
      <Alert type="info" showIcon title={t('repo.editNote')} style={{ marginBottom: 16 }} />
      <Form form={form} layout="vertical" name="edit">
        <Form.Item name="displayName" label={t('form.displayName')}>
          <Input placeholder={t('form.displayNamePlaceholder')} maxLength={253} />
        </Form.Item>
        <Form.Item name="description" label={t('form.description')}>
          <Input.TextArea rows={3} placeholder={t('form.descriptionPlaceholder')} maxLength={2000} />
        </Form.Item>
      </Form>
      {error !== null && <Alert type="error" showIcon title={<ErrorText err={error} subject={repo ? { kind: 'Repository', name: `${repo.metadata.namespace}/${repo.metadata.name}` } : undefined} />} />}
    </Modal>
  );
}
