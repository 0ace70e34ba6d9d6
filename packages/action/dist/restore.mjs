import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-XQ6XEMJK.mjs";import{OutputStateProvider}from"./chunks/chunk-BIIICOG3.mjs";import"./chunks/chunk-BMXOBOEV.mjs";await restoreImpl(new OutputStateProvider);
