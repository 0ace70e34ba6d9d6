import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-ZP6JTLCP.mjs";import{RunnerStateProvider}from"./chunks/chunk-DKXDX4X6.mjs";await saveImpl(new RunnerStateProvider);
