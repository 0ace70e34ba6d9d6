import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-GZZJVDWN.mjs";import{RunnerStateProvider}from"./chunks/chunk-CXPK4AIY.mjs";await saveImpl(new RunnerStateProvider);
