export * from './digest.ts';
export * from './reference.ts';
