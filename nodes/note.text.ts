import { z } from 'zod';
import { LIMITS } from '../src/graph/schema';
import { defineNode } from './types';

export const params = z.strictObject({
  text: z.string().max(LIMITS.noteText, `a note holds at most ${LIMITS.noteText.toLocaleString('en')} characters`).default(''),
});
export type Params = z.infer<typeof params>;

/**
 * A note on the canvas (DESIGN §9): text for teachers and students, no ports. Its role
 * 'note' keeps it out of the compiler, its lints and the export; the file keeps it.
 */
export default defineNode<Params>({
  type: 'note.text',
  category: 'Notes',
  title: 'Note',
  description: 'Text on the canvas (markdown shown as plain text); it never computes anything.',
  help: {
    formula: String.raw`\text{(computes nothing: no ports, no formula)}`,
    where: 'Anywhere on the canvas, wired to nothing: unlike every other node from data.mnist to train.optimizer, the compiler, the lints and the PyTorch export leave it out; the file keeps it for teachers\' and students\' annotations.',
  },
  stem: 'note',
  aliases: ['comment', 'annotation', 'text'],
  role: 'note',
  inputs: [],
  outputs: [],
  params,
  controls: [{ param: 'text', label: 'text', help: 'Shown on the canvas as written (markdown as plain text).' }],
  inferShapes: () => ({ ok: true, outputs: {} }),
  forward: () => ({}),
});
