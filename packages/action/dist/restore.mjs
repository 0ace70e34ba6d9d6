import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-XDG7I56R.mjs";import{OutputStateProvider}from"./chunks/chunk-HRS7LATI.mjs";import"./chunks/chunk-FH4GPISE.mjs";await restoreImpl(new OutputStateProvider);
