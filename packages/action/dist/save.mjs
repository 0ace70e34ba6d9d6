import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-JGRMUTMR.mjs";import{OutputStateProvider}from"./chunks/chunk-Z2V535AW.mjs";await saveImpl(new OutputStateProvider);
