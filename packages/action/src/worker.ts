// The archiving worker thread's script (dist/chunk-worker.mjs): see @s3cache/core's chunk-worker.

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type ChunkWorkerData, runChunkWorker } from '@s3cache/core';

await runChunkWorker(parentPort as MessagePort, workerData as ChunkWorkerData);
