import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-QCUB6UFY.mjs";import{OutputStateProvider}from"./chunks/chunk-JALSROWZ.mjs";await saveImpl(new OutputStateProvider);
