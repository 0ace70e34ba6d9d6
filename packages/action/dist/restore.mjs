import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-OZXWFTJA.mjs";import{OutputStateProvider}from"./chunks/chunk-YTVS5GDV.mjs";await restoreImpl(new OutputStateProvider);
