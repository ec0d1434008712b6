/**
 * Command dispatch. Imported by main.ts only after stdout is guarded, because these modules
 * load tfjs (whose Node banner and warnings must never reach stdout).
 */
import * as tf from '@tensorflow/tfjs';
import type { ParsedArgs } from './args';
import type { Output } from './output';
import { checkCommand } from './check';
import { trainCommand } from './train';
import { benchCommand } from './bench';
import { exportCommand } from './export';
import { evalCommand } from './eval';

// tfjs's console warnings (the "running TensorFlow.js in Node.js" banner, deprecations) are
// noise for a command line; they go to stderr anyway, and PROD silences them there too.
tf.env().set('PROD', true);

export async function runCommand(args: ParsedArgs, out: Output): Promise<number> {
  switch (args.command) {
    case 'check':
      return checkCommand(args, out);
    case 'train':
      return trainCommand(args, out);
    case 'bench':
      return benchCommand(args, out);
    case 'eval':
      return evalCommand(args, out);
    case 'export':
      return exportCommand(args, out);
    default:
      throw new Error(`no handler for command ${args.command}`);
  }
}
