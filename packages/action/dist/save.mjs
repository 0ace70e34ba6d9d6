import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-AIP2QP22.mjs";import{OutputStateProvider,runnerDeps,scriptAt}from"./chunks/chunk-JGXFDR4G.mjs";import"./chunks/chunk-WYPKTAMD.mjs";var worker=scriptAt(new URL("./worker.mjs",import.meta.url));await saveImpl(new OutputStateProvider,runnerDeps(process.env,worker?{worker}:{}));
