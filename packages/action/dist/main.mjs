import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-Z667BKU5.mjs";import{RunnerStateProvider}from"./chunks/chunk-DKXDX4X6.mjs";await restoreImpl(new RunnerStateProvider);
