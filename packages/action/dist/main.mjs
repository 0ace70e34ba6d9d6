import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-6SRLGD35.mjs";import{RunnerStateProvider}from"./chunks/chunk-EOADAEN5.mjs";await restoreImpl(new RunnerStateProvider);
