import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{runChunkWorker}from"./chunks/chunk-VJSIPMBK.mjs";import{parentPort,workerData}from"node:worker_threads";await runChunkWorker(parentPort,workerData);
