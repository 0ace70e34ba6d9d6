// s3cache's worker thread (dist/worker.mjs): archives for saves (see @s3cache/core's chunk-worker).

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type ChunkWorkerData, runChunkWorker } from '@s3cache/core';

await runChunkWorker(parentPort as MessagePort, workerData as ChunkWorkerData);
