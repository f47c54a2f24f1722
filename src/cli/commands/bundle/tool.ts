/** How bundles name the tool that made them (bundle.json `tool`). */
export const TOOL = { name: 'tug', version: '0.1.0' } as const;
