import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-4PTQFPT3.mjs";import{RunnerStateProvider}from"./chunks/chunk-2CPRYRAU.mjs";await saveImpl(new RunnerStateProvider);
