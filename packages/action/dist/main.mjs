import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-5RDRBK6Y.mjs";import{RunnerStateProvider}from"./chunks/chunk-H7VXT6MB.mjs";await restoreImpl(new RunnerStateProvider);
