import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-5A7P23SZ.mjs";import{RunnerStateProvider}from"./chunks/chunk-H7VXT6MB.mjs";await saveImpl(new RunnerStateProvider);
