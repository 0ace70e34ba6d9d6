import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-CTWGSEKA.mjs";import{OutputStateProvider}from"./chunks/chunk-OPOK7LPA.mjs";import"./chunks/chunk-WYPKTAMD.mjs";await restoreImpl(new OutputStateProvider);
