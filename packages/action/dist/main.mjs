import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-QIC4CGPI.mjs";import{RunnerStateProvider,relaxHeapGrowth}from"./chunks/chunk-RCPB2WUS.mjs";import"./chunks/chunk-VJSIPMBK.mjs";relaxHeapGrowth();await restoreImpl(new RunnerStateProvider);
