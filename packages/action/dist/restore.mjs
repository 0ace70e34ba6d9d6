import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-KKLZQTJ6.mjs";import{OutputStateProvider}from"./chunks/chunk-JGXFDR4G.mjs";import"./chunks/chunk-WYPKTAMD.mjs";await restoreImpl(new OutputStateProvider);
