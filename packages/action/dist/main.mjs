import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-FLSC76GH.mjs";import{RunnerStateProvider,relaxHeapGrowth}from"./chunks/chunk-UYMHUZKZ.mjs";import"./chunks/chunk-O2VWSSDS.mjs";relaxHeapGrowth();await restoreImpl(new RunnerStateProvider);
