import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-IF3CIDI7.mjs";import{OutputStateProvider}from"./chunks/chunk-EOADAEN5.mjs";await saveImpl(new OutputStateProvider);
