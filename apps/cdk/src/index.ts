export { type BuildAppOptions, buildApp } from './app.js';
