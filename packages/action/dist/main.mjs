import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-NWKGF774.mjs";import{RunnerStateProvider}from"./chunks/chunk-2CPRYRAU.mjs";await restoreImpl(new RunnerStateProvider);
