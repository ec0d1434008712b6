#!/usr/bin/env node
// The `vae-lab` command: registers tsx (TypeScript on the fly), then runs src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
