// The worker thread's script in builds and source runs (see script.ts; bundles ship their own).
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type ChunkWorkerData, runChunkWorker } from '../transfer/chunk-worker.js';

await runChunkWorker(parentPort as MessagePort, workerData as ChunkWorkerData);
