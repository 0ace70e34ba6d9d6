import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-DYRVRART.mjs";import{OutputStateProvider}from"./chunks/chunk-TMREPVMM.mjs";await restoreImpl(new OutputStateProvider);
