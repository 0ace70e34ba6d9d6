import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-PRVXPNTX.mjs";import{OutputStateProvider,relaxHeapGrowth}from"./chunks/chunk-32LJKQ5Z.mjs";import"./chunks/chunk-O2VWSSDS.mjs";relaxHeapGrowth();await restoreImpl(new OutputStateProvider);
