import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-CU24X4IM.mjs";import{RunnerStateProvider}from"./chunks/chunk-YTVS5GDV.mjs";await saveImpl(new RunnerStateProvider);
