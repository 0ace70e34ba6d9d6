import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-3XZ4CT6E.mjs";import{OutputStateProvider,relaxHeapGrowth}from"./chunks/chunk-U53DWPRJ.mjs";import"./chunks/chunk-5WHFC6YF.mjs";relaxHeapGrowth();await restoreImpl(new OutputStateProvider);
