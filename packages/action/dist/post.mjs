import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-5M7OM4MJ.mjs";import{RunnerStateProvider,relaxHeapGrowth,runnerDeps,scriptAt}from"./chunks/chunk-OH3XG5PX.mjs";import"./chunks/chunk-5WHFC6YF.mjs";var worker=scriptAt(new URL("./worker.mjs",import.meta.url));relaxHeapGrowth();await saveImpl(new RunnerStateProvider,runnerDeps(process.env,worker?{worker}:{}));
