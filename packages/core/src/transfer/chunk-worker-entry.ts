// The script the archiving worker thread runs (see chunk-worker.ts and worker-chunks.ts).
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type ChunkWorkerData, runChunkWorker } from './chunk-worker.js';

await runChunkWorker(parentPort as MessagePort, workerData as ChunkWorkerData);
