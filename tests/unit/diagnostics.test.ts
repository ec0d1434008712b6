/**
 * The one-line text of a list's first diagnostic, as the worker's COMPILE errors and the
 * status texts write it.
 */
import { describe, expect, it } from 'vitest';
import { error, firstDiagnosticText } from '../../src/graph/diagnostics';

describe('firstDiagnosticText', () => {
  it('names the code, the node and port where there are any, and the message', () => {
    expect(firstDiagnosticText([error('MISSING_INPUT', 'Nothing feeds z.', { node: 'dec', port: 'z' })])).toBe('MISSING_INPUT at dec.z: Nothing feeds z.');
    expect(firstDiagnosticText([error('CYCLE', 'A loop.', { node: 'a' })])).toBe('CYCLE at a: A loop.');
    expect(firstDiagnosticText([error('NO_LOSS', 'No loss.')])).toBe('NO_LOSS: No loss.');
    expect(firstDiagnosticText([])).toBe('unknown problem');
  });

  it('counts the rest only when asked, with the noun it is given', () => {
    const list = [error('NO_LOSS', 'No loss.'), error('NO_OPTIMIZER', 'No optimizer.'), error('CYCLE', 'A loop.')];
    expect(firstDiagnosticText(list)).toBe('NO_LOSS: No loss.');
    expect(firstDiagnosticText(list, 'error')).toBe('NO_LOSS: No loss. (and 2 more errors)');
    expect(firstDiagnosticText(list.slice(0, 2), 'error')).toBe('NO_LOSS: No loss. (and 1 more error)');
  });
});
