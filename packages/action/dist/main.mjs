import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-S5NJ26TD.mjs";import{RunnerStateProvider}from"./chunks/chunk-JALSROWZ.mjs";await restoreImpl(new RunnerStateProvider);
