import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-LBWP2T7L.mjs";import{RunnerStateProvider,relaxHeapGrowth,runnerDeps,scriptAt}from"./chunks/chunk-RCPB2WUS.mjs";import"./chunks/chunk-VJSIPMBK.mjs";var worker=scriptAt(new URL("./worker.mjs",import.meta.url));relaxHeapGrowth();await saveImpl(new RunnerStateProvider,runnerDeps(process.env,worker?{worker}:{}));
