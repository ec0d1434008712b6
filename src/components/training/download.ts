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

/** A canvas as a PNG download (on a white background, scaled up for pixel art). */
export function downloadCanvasPng(source: HTMLCanvasElement, name: string, scale = 1): void {
  const c = document.createElement('canvas');
  c.width = source.width * scale;
  c.height = source.height * scale;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(source, 0, 0, c.width, c.height);
  c.toBlob((b) => {
    if (b) downloadBlob(b, name);
  }, 'image/png');
}

/** Numbers shown in metric fields: plain (parseFloat-able), 6 significant digits. */
export function plain(x: number | null | undefined, digits = 6): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return String(Number(x.toPrecision(digits)));
}
