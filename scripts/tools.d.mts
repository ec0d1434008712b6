// Types for scripts/tools.mjs (imported by the tests through tests/fixtures/tools.ts).
export type ToolName = 'chromium' | 'torch' | 'fashion-mnist';
export interface Tool {
  name: ToolName;
  apt: string;
  needs: string;
  present: () => boolean;
}
export const CHROMIUM_PATH: string;
export const PYTHON_PATH: string;
export const FASHION_MNIST_DIR: string;
export const TOOLS: Tool[];
export function tool(name: ToolName): Tool;
export function hasTool(name: ToolName): boolean;
export function missingTools(): Tool[];
export function isCI(): boolean;
export function installHint(tools: Tool[]): string;
