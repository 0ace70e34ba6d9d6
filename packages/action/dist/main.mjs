import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-F3NQHSSX.mjs";import{RunnerStateProvider}from"./chunks/chunk-K22NH2PZ.mjs";await restoreImpl(new RunnerStateProvider);
