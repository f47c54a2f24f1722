export * from './media-types.ts';
export * from './manifest.ts';
export * from './platform.ts';
export * from './verify.ts';
