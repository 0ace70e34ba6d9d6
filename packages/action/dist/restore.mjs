import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{restoreImpl}from"./chunks/chunk-CHJXYJFZ.mjs";import{OutputStateProvider,relaxHeapGrowth}from"./chunks/chunk-P6RG6JJ2.mjs";import"./chunks/chunk-BMXOBOEV.mjs";relaxHeapGrowth();await restoreImpl(new OutputStateProvider);
