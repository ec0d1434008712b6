/**
 * Files dragged over a drop target (the canvas, the inspector's data file): whether the drag
 * carries files, and taking it as a copy so that the browser lets it drop there.
 */

/** Takes a drag that carries files (its drop will come here); false for any other drag. */
export function acceptFileDrag(e: DragEvent): boolean {
  if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return false;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
  return true;
}
