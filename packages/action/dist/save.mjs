import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-JVP37E7Q.mjs";import{OutputStateProvider}from"./chunks/chunk-MLLHDKRM.mjs";await saveImpl(new OutputStateProvider);
