/**
 * 批量添加 (issue 16): paste or upload, 预览 (the API's dry run, every row
 * with its validation), then 全部创建 (all or nothing), ending with a link
 * to the list filtered to the namespace. The form survives leaving the page
 * (importDraft.ts); closing the tab or 清空 with text in it asks first.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Form, Space } from 'antd';
import { ArrowLeftOutlined, ClearOutlined, EyeOutlined } from '@ant-design/icons';
import { useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client.ts';
import type { ImportRequest, ImportResult } from '../../api/imports.ts';
import { useErrorText } from '../../components/ErrorText.tsx';
import { useImportCreate, useImportPreview } from '../../hooks/useImport.ts';
import { useNamespaces } from '../../hooks/useNamespaces.ts';
import { useCanWrite, useMe } from '../../hooks/useSession.ts';
import { useI18n } from '../../i18n.tsx';
import { paths } from '../../paths.ts';
import { ImportDone } from './ImportDone.tsx';
import { ImportForm } from './ImportForm.tsx';
import { ImportPreview } from './ImportPreview.tsx';
import { EMPTY_DRAFT, type ImportDraft, isFilled, loadDraft, saveDraft } from './importDraft.ts';

/** The API request a draft makes (options left empty are not sent). */
function requestOf(d: ImportDraft): { namespace: string; request: ImportRequest } {
  const prefix = d.mirrorPrefix.trim();
  const interval = d.syncInterval.trim();
  return {
    namespace: d.namespace.trim(),
    request: {
      content: d.content,
      ...(d.format !== 'auto' ? { format: d.format } : {}),
      ...(d.skipExisting ? { skipExisting: true } : {}),
      ...(d.mirrorRegistry ? { mirror: { registryRef: { name: d.mirrorRegistry }, ...(prefix ? { prefix } : {}) } } : {}),
      ...(interval ? { syncInterval: interval } : {}),
    },
  };
}

export function ImportPage() {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const navigate = useNavigate();
  const errorText = useErrorText();
  const canWrite = useCanWrite();
  const me = useMe();
  const namespaces = useNamespaces();
  const [params] = useSearchParams();
  const [form] = Form.useForm<ImportDraft>();
  // The namespace of the list it came from, else default (or the first one the token sees, when known and default is not among them).
  const [draft, setDraft] = useState<ImportDraft>(
    () => loadDraft() ?? { ...EMPTY_DRAFT, namespace: params.get('ns') || (namespaces.data?.length && !namespaces.data.includes('default') ? namespaces.data[0]! : 'default') },
  );
  const preview = useImportPreview();
  const create = useImportCreate();
  /** The request the shown preview answered, to tell when the form has moved on. */
  const [previewed, setPreviewed] = useState<string | undefined>();
  const [done, setDone] = useState<ImportResult | undefined>();
  const [refused, setRefused] = useState<ImportResult | undefined>();

  useEffect(() => saveDraft(draft), [draft]);

  // Closing or reloading the tab with a batch not yet created asks first.
  const filled = isFilled(draft) && !done;
  useEffect(() => {
    if (!filled) return;
    const ask = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [filled]);

  const current = JSON.stringify(requestOf(draft));
  const shown = refused ?? preview.data;
  const stale = shown !== undefined && previewed !== current;

  const runPreview = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    setRefused(undefined);
    const vars = requestOf(draft);
    preview.mutate(vars, { onSuccess: () => setPreviewed(JSON.stringify(vars)) });
  };

  // Read through a ref, so that the preview (memoised) keeps one onCreate while the text changes.
  const draftRef = useRef(draft);
  useEffect(() => {
    draftRef.current = draft;
  }, [draft]);
  const { mutate: createMutate } = create;
  const runCreate = useCallback(() => {
    createMutate(requestOf(draftRef.current), {
      onSuccess: (result) => {
        if (result.status.phase === 'Created') {
          setDone(result);
          saveDraft(undefined);
        } else setRefused(result);
      },
    });
  }, [createMutate]);

  const reset = () => {
    const next = { ...EMPTY_DRAFT, namespace: draft.namespace };
    form.resetFields();
    form.setFieldsValue(next);
    setDraft(next);
    setDone(undefined);
    setRefused(undefined);
    setPreviewed(undefined);
    preview.reset();
    create.reset();
  };

  /** 清空 / 返回 with text in the form: ask before throwing it away (as the add drawer does). */
  const guarded = (then: () => void) => () => {
    if (!filled) return then();
    modal.confirm({
      title: t('form.discardTitle'),
      content: t('import.leaveWarn'),
      okText: t('form.discard'),
      okButtonProps: { danger: true, 'data-testid': 'discard-confirm' } as never,
      cancelText: t('form.keepEditing'),
      onOk: then,
    });
  };

  const failure = preview.error ?? create.error;
  // A 400 is text the API could not read as any format: say that, not "the request could not be handled".
  const failureText = failure && (failure instanceof ApiError && failure.code === 400 ? { text: t('import.badText'), detail: failure.message } : errorText(failure));

  return (
    <div>
      <div className="page-head">
        <div>
          <h1>{t('import.title')}</h1>
          <p>{t('import.subtitle')}</p>
        </div>
        <Button
          icon={<ArrowLeftOutlined />}
          onClick={guarded(() => {
            reset();
            saveDraft(undefined);
            navigate(`${paths.repositories}${draft.namespace ? `?ns=${encodeURIComponent(draft.namespace)}` : ''}`);
          })}
        >
          {t('import.backToList')}
        </Button>
      </div>
      {me.isSuccess && !canWrite && <Alert type="info" showIcon title={t('import.viewerNote')} style={{ marginBottom: 12 }} />}
      {done ? (
        <ImportDone result={done} onAgain={reset} />
      ) : (
        <>
          <div className="panel" style={{ padding: 16 }}>
            <ImportForm form={form} draft={draft} onChange={setDraft} disabled={!canWrite || create.isPending} />
            {canWrite && (
              <Space>
                <Button type="primary" icon={<EyeOutlined />} loading={preview.isPending} onClick={() => void runPreview()} data-testid="import-preview-button">
                  {t('import.preview')}
                </Button>
                <Button icon={<ClearOutlined />} onClick={guarded(reset)} data-testid="import-clear">
                  {t('import.clear')}
                </Button>
              </Space>
            )}
          </div>
          {failureText && (
            <Alert type="error" showIcon style={{ marginTop: 12 }} title={<span title={failureText.detail} data-testid="import-error">{failureText.text}</span>} />
          )}
          {refused && <Alert type="error" showIcon style={{ marginTop: 12 }} title={t('import.refusedOnCreate')} />}
          {shown && !failure && <ImportPreview result={shown} stale={stale} creating={create.isPending} canCreate={canWrite} onCreate={runCreate} />}
        </>
      )}
    </div>
  );
}
