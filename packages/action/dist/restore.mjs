import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-VI3HS4FL.mjs";import{OutputStateProvider}from"./chunks/chunk-MLLHDKRM.mjs";await restoreImpl(new OutputStateProvider);
