/**
 * A preview row's causes in the user's language (issue 16: no English server
 * text in the Chinese UI), chosen by each cause's `reason`
 * (src/server/repository-import.ts IMPORT_CAUSES, else a schema reason); the
 * server's message stays as the detail, shown on hover.
 */
import type { ImportCause, ImportRow } from '../../api/imports.ts';
import type { MessageKey, Translate } from '../../i18n.tsx';

const BY_REASON: Readonly<Record<string, MessageKey>> = {
  ImportNotYAML: 'import.cause.notYaml',
  ImportUnknownKind: 'import.cause.unknownKind',
  ImportCredentials: 'import.cause.credentials',
  ImportForeignNamespace: 'import.cause.foreignNamespace',
  ImportRegistryRefNotFound: 'import.cause.registryRefNotFound',
  ImportTagListUnreadable: 'import.cause.tagListUnreadable',
  ImportNoTagMatches: 'import.cause.noTagMatches',
  ImportHostUnknown: 'import.cause.hostUnknown',
  ImportMirrorHostUnknown: 'import.cause.mirrorHostUnknown',
  ImportMirrorRegistryNotFound: 'import.cause.mirrorRegistryNotFound',
  ImportDuplicateName: 'import.cause.duplicateName',
  FieldValueDuplicate: 'import.cause.exists',
  FieldValueRequired: 'import.cause.required',
  FieldValueInvalid: 'import.cause.field',
  FieldValueNotSupported: 'import.cause.field',
  FieldValueTooLong: 'import.cause.field',
  FieldValueForbidden: 'import.cause.field',
};

/** `ghcr.io` of `ghcr.io/acme/tool:1.0`. */
const hostOf = (source: string | undefined) => (source?.includes('/') ? source.slice(0, source.indexOf('/')) : (source ?? ''));

export function causeText(cause: ImportCause, row: ImportRow, namespace: string, t: Translate): { text: string; detail: string } {
  let key = cause.reason ? BY_REASON[cause.reason] : undefined;
  // A field cause without its field says nothing more than "not valid".
  if ((key === 'import.cause.field' || key === 'import.cause.required') && !cause.field) key = undefined;
  return { text: t(key ?? 'import.cause.other', { ns: namespace, host: hostOf(row.source), name: row.name, field: cause.field ?? '' }), detail: cause.message };
}
