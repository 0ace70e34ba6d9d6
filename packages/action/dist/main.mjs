import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-H627IKSP.mjs";import{RunnerStateProvider}from"./chunks/chunk-CXPK4AIY.mjs";await restoreImpl(new RunnerStateProvider);
