export * from './copy.ts';
export * from './events.ts';
export { type MultiArchMode, SOURCE_DIGEST_ANNOTATION, selectFromIndex, type Selection } from './select.ts';
