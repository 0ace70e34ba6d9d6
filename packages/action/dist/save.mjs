import { createRequire as __s3cacheCreateRequire } from 'node:module';
const require = __s3cacheCreateRequire(import.meta.url);
import{saveImpl}from"./chunks/chunk-VGKUEK3M.mjs";import{OutputStateProvider}from"./chunks/chunk-J4W227JR.mjs";await saveImpl(new OutputStateProvider);
