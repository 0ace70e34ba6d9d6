import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-KFSUJVZE.mjs";import{OutputStateProvider,runnerDeps,scriptAt}from"./chunks/chunk-HRS7LATI.mjs";import"./chunks/chunk-FH4GPISE.mjs";var chunkWorker=scriptAt(new URL("./chunk-worker.mjs",import.meta.url));await saveImpl(new OutputStateProvider,runnerDeps(process.env,chunkWorker?{chunkWorker}:{}));
