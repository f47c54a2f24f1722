/** Batch add's preview and creation (api/imports.ts) as mutations; a creation refreshes the lists and namespaces it changed. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { exportRepositories, type ImportRequest, runImport } from '../api/imports.ts';
import { keys } from './queryKeys.ts';

interface ImportVars {
  namespace: string;
  request: ImportRequest;
}

/** 预览: the dry run; resolves with every row, valid or not (a 422 is a plan too). */
export function useImportPreview() {
  return useMutation({ mutationFn: ({ namespace, request }: ImportVars) => runImport(namespace, { ...request, dryRun: true }) });
}

/** 全部创建: all or nothing; a refusal (some row invalid) resolves with phase Refused and nothing created. */
export function useImportCreate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ namespace, request }: ImportVars) => runImport(namespace, { ...request, dryRun: false }),
    onSuccess: (result) => {
      if (result.status.created === 0) return;
      void queryClient.invalidateQueries({ queryKey: keys.repoLists });
      void queryClient.invalidateQueries({ queryKey: keys.namespaces });
      void queryClient.invalidateQueries({ queryKey: keys.registries });
    },
  });
}

/** 导出 YAML: the selected Repositories (grouped by namespace), or every one of `namespace` when none is selected. */
export function useExportYaml() {
  return useMutation({
    mutationFn: async (what: { namespace: string; names?: readonly string[] | undefined }[]) => {
      const parts: string[] = [];
      for (const w of what) parts.push(await exportRepositories(w.namespace, w.names));
      return parts.filter((p) => p !== '').join('---\n');
    },
  });
}
