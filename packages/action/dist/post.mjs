import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-2VAKYN4C.mjs";import{RunnerStateProvider,relaxHeapGrowth,runnerDeps,scriptAt}from"./chunks/chunk-V2IYPC3L.mjs";import"./chunks/chunk-JI2IP4SA.mjs";var worker=scriptAt(new URL("./worker.mjs",import.meta.url));relaxHeapGrowth();await saveImpl(new RunnerStateProvider,runnerDeps(process.env,worker?{worker}:{}));
