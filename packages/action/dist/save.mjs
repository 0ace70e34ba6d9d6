import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-UE72NBI2.mjs";import{OutputStateProvider,runnerDeps,scriptAt}from"./chunks/chunk-BIIICOG3.mjs";import"./chunks/chunk-BMXOBOEV.mjs";var worker=scriptAt(new URL("./worker.mjs",import.meta.url));await saveImpl(new OutputStateProvider,runnerDeps(process.env,worker?{worker}:{}));
