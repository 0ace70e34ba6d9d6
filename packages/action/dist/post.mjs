import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-Y5OEBVXX.mjs";import{RunnerStateProvider}from"./chunks/chunk-TMREPVMM.mjs";await saveImpl(new RunnerStateProvider);
