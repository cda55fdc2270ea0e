export * from './errors';
export * from './types';
export * from './contract';
export * from './events';
export * from './rpc';
export * from './client';
export * from './http-routes';
export * from './wire';
