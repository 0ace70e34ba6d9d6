import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-WTQ52YCU.mjs";import{RunnerStateProvider,relaxHeapGrowth,runnerDeps,scriptAt}from"./chunks/chunk-32LJKQ5Z.mjs";import"./chunks/chunk-O2VWSSDS.mjs";var worker=scriptAt(new URL("./worker.mjs",import.meta.url));relaxHeapGrowth();await saveImpl(new RunnerStateProvider,runnerDeps(process.env,worker?{worker}:{}));
