/** Types of bench/webgl-page.mjs. */
export function runInPage(entry: string, fn: string, args: unknown[], executablePath?: string): Promise<unknown[]>;
