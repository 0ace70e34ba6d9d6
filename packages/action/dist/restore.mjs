import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-Z2FYVIXW.mjs";import{OutputStateProvider,relaxHeapGrowth}from"./chunks/chunk-OH3XG5PX.mjs";import"./chunks/chunk-5WHFC6YF.mjs";relaxHeapGrowth();await restoreImpl(new OutputStateProvider);
