import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-WIVFXDIK.mjs";import{OutputStateProvider,relaxHeapGrowth}from"./chunks/chunk-V2IYPC3L.mjs";import"./chunks/chunk-JI2IP4SA.mjs";relaxHeapGrowth();await restoreImpl(new OutputStateProvider);
