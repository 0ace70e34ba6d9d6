import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-7HFPPESI.mjs";import{RunnerStateProvider}from"./chunks/chunk-Z2V535AW.mjs";await restoreImpl(new RunnerStateProvider);
