import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-KPXVL3RB.mjs";import{RunnerStateProvider}from"./chunks/chunk-N4UQ3OW2.mjs";import"./chunks/chunk-WYPKTAMD.mjs";await restoreImpl(new RunnerStateProvider);
