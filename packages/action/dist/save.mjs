import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-4QDASZLT.mjs";import{OutputStateProvider,relaxHeapGrowth,runnerDeps,scriptAt}from"./chunks/chunk-P6RG6JJ2.mjs";import"./chunks/chunk-BMXOBOEV.mjs";var worker=scriptAt(new URL("./worker.mjs",import.meta.url));relaxHeapGrowth();await saveImpl(new OutputStateProvider,runnerDeps(process.env,worker?{worker}:{}));
