/**
 * The batch-add inputs: target namespace, format, mirror, interval, and the
 * text, pasted or read from a dropped file. A file is read in the browser
 * (never uploaded anywhere: `beforeUpload` stops antd's request); its text
 * goes to the API only when the user previews.
 */
import { App, AutoComplete, Checkbox, Form, type FormInstance, Input, Select, Space, Typography, Upload } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { IMPORT_FORMATS } from '../../api/imports.ts';
import { rules } from '../../forms/rules.ts';
import { registryHost } from '../../format.ts';
import { useNamespaces } from '../../hooks/useNamespaces.ts';
import { useRegistries } from '../../hooks/useRegistries.ts';
import { useI18n } from '../../i18n.tsx';
import type { ImportDraft } from './importDraft.ts';

/** The API's limit on the text (src/server/routes/imports.ts). */
const MAX_BYTES = 4 * 1024 * 1024;
const ACCEPT = '.yaml,.yml,.json,.txt,.list,.conf';

export function ImportForm({ form, draft, onChange, disabled }: { form: FormInstance<ImportDraft>; draft: ImportDraft; onChange: (next: ImportDraft) => void; disabled: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const namespaces = useNamespaces();
  const registries = useRegistries();
  const inNamespace = (registries.data?.items ?? []).filter((r) => r.metadata.namespace === draft.namespace);
  // A final newline ends the last line; it does not start another.
  const lines = draft.content === '' ? 0 : draft.content.replace(/\r?\n$/, '').split('\n').length;

  const readFile = async (file: File) => {
    if (file.size > MAX_BYTES) {
      message.error(t('import.tooLarge', { name: file.name }));
      return;
    }
    try {
      const content = await file.text();
      form.setFieldsValue({ content });
      onChange({ ...draft, content, fileName: file.name });
      message.success(t('import.uploaded', { name: file.name }));
    } catch {
      message.error(t('import.readFailed', { name: file.name }));
    }
  };

  return (
    <Form<ImportDraft>
      form={form}
      layout="vertical"
      initialValues={draft}
      disabled={disabled}
      // A hand edit leaves the uploaded file behind.
      onValuesChange={(changed, all) => onChange({ ...draft, ...all, ...('content' in changed ? { fileName: undefined } : {}) })}
      data-testid="import-form"
    >
      <Space wrap align="start" size={16}>
        <Form.Item name="namespace" label={t('import.namespace')} tooltip={t('import.namespaceHelp')} rules={[rules.required(t), rules.namespace(t)]} style={{ width: 220 }}>
          <AutoComplete options={(namespaces.data ?? []).map((n) => ({ value: n }))} placeholder="default" filterOption={(input, opt) => String(opt?.value ?? '').includes(input)} />
        </Form.Item>
        <Form.Item name="format" label={t('import.format')} style={{ width: 280 }}>
          <Select aria-label={t('import.format')} options={IMPORT_FORMATS.map((f) => ({ value: f, label: t(`import.format.${f}`) }))} />
        </Form.Item>
        <Form.Item name="mirrorRegistry" label={t('import.mirror')} tooltip={t('import.mirrorHelp')} style={{ width: 260 }}>
          <Select
            aria-label={t('import.mirror')}
            allowClear
            placeholder={t('form.noMirror')}
            options={inNamespace.map((r) => ({ value: r.metadata.name, label: `${r.metadata.name} (${registryHost(r.spec.url)})` }))}
          />
        </Form.Item>
        {draft.mirrorRegistry && (
          <Form.Item name="mirrorPrefix" label={t('import.mirrorPrefix')} tooltip={t('import.mirrorPrefixHelp')} style={{ width: 200 }}>
            <Input placeholder="edge" />
          </Form.Item>
        )}
        <Form.Item name="syncInterval" label={t('import.syncInterval')} tooltip={t('import.syncIntervalHelp')} rules={[rules.duration(t, '10s', 10_000)]} style={{ width: 160 }}>
          <Input placeholder="1h" />
        </Form.Item>
      </Space>
      {/* The text beside the drop zone, so that a preview below stays in view. */}
      <div style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 2fr) minmax(220px, 1fr)', gap: 16 }}>
        <Form.Item
          name="content"
          label={
            <Space>
              {t('import.text')}
              <Typography.Text type="secondary">
                {t('import.lines', { n: lines })}
                {draft.fileName ? ` · ${draft.fileName}` : ''}
              </Typography.Text>
            </Space>
          }
          rules={[{ required: true, whitespace: true, message: t('import.empty') }]}
        >
          <Input.TextArea aria-label={t('import.text')} className="mono" rows={9} spellCheck={false} placeholder={t('import.textPlaceholder')} data-testid="import-text" />
        </Form.Item>
        <Form.Item label={t('import.uploadLabel')}>
          <div data-testid="import-upload">
          <Upload.Dragger
            accept={ACCEPT}
            multiple={false}
            showUploadList={false}
            height={206}
            // Read here, never sent by antd: returning LIST_IGNORE stops the upload request.
            beforeUpload={(file) => {
              void readFile(file);
              return Upload.LIST_IGNORE;
            }}
          >
            <p className="ant-upload-drag-icon"><InboxOutlined /></p>
            <p className="ant-upload-text">{t('import.upload')}</p>
            <p className="ant-upload-hint">{t('import.uploadHint')}</p>
          </Upload.Dragger>
          </div>
        </Form.Item>
      </div>
      <Form.Item name="skipExisting" valuePropName="checked" style={{ marginTop: -8 }}>
        <Checkbox>{t('import.skipExisting')}</Checkbox>
      </Form.Item>
    </Form>
  );
}
