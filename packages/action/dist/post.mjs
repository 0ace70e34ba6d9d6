import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-UT5MVZTH.mjs";import{RunnerStateProvider}from"./chunks/chunk-K22NH2PZ.mjs";await saveImpl(new RunnerStateProvider);
