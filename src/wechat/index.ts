export * from './client/index.ts';
export * from './crypto/index.ts';
