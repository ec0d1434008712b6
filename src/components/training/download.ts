import { addPngText } from '../../graph/png-text';

/** Save a Blob or text as a file the browser downloads. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadText(text: string, name: string, type = 'text/csv'): void {
  downloadBlob(new Blob([text], { type }), name);
}

/**
 * A canvas as a PNG download (on `background`, white unless given; scaled up for pixel art) carrying `text`
 * as iTXt chunks (DESIGN.md §9: every PNG the app exports carries the graph, seed and step;
 * see pngStamp in ./png-stamp.ts).
 */
export function downloadCanvasPng(source: HTMLCanvasElement, name: string, scale: number, text: Record<string, string>, background = '#fff'): void {
  const c = document.createElement('canvas');
  c.width = source.width * scale;
  c.height = source.height * scale;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(source, 0, 0, c.width, c.height);
  c.toBlob((b) => {
    if (!b) return;
    void b.arrayBuffer().then((buf) => {
      const png = addPngText(new Uint8Array(buf), text);
      downloadBlob(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), name);
    });
  }, 'image/png');
}

/** Numbers shown in metric fields: plain (parseFloat-able), 6 significant digits. */
export function plain(x: number | null | undefined, digits = 6): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return String(Number(x.toPrecision(digits)));
}
