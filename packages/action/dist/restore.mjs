import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-4LTIHGOF.mjs";import{OutputStateProvider}from"./chunks/chunk-J4W227JR.mjs";await restoreImpl(new OutputStateProvider);
