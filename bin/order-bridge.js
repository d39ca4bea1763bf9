#!/usr/bin/env node
// Loads the TypeScript CLI through tsx's loader in this same process (signals reach it directly), so the
// installed command needs no build step.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
