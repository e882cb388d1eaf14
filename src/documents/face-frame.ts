/**
 * The invoice face's fixed parts — its words and lines, all in the frame font — drawn once per
 * process for each place they can be, and written into every later PDF as the same content.
 */
import type PDFDocument from 'pdfkit';
import { useFrameFont } from './frame-font.js';

type Doc = InstanceType<typeof PDFDocument>;

interface PdfkitInternals {
  _font: { id: string; ref(): unknown };
  page: { fonts: Record<string, unknown> };
  addContent: (this: Doc, data: string) => Doc;
}

/** A few dozen in practice: kinds of invoice × page sizes × where the closing block falls. */
const PARTS_KEPT = 512;
const parts = new Map<string, string>();
const redrawn = new WeakSet<Doc>();

/** How many fixed parts are kept (for tests and the curious). */
export function fixedPartsKept(): number {
  return parts.size;
}

/** Makes `doc` draw its fixed parts every time (tests compare the two ways byte for byte). */
export function redrawFixedParts(doc: Doc): void {
  redrawn.add(doc);
}

/**
 * Draws what `draw` draws, for `key` (everything the drawing depends on), by writing the content
 * the first drawing for that key wrote: the same bytes pdfkit would write, without laying out and
 * formatting the same words again (they were a third of a page's time, profiled). Only content in
 * the frame font is kept: the frame font's CIDs are the same in every document, a document's own
 * subset's are not.
 */
export function fixedPart(doc: Doc, key: string, draw: () => void): void {
  useFrameFont(doc);
  const internals = doc as unknown as PdfkitInternals;
  const frameId = internals._font.id;
  const cacheKey = `${frameId} ${key}`;
  const kept = redrawn.has(doc) ? undefined : parts.get(cacheKey);
  if (kept !== undefined) {
    internals.page.fonts[frameId] ??= internals._font.ref();
    internals.addContent.call(doc, kept);
    return;
  }
  const written: string[] = [];
  const addContent = internals.addContent;
  internals.addContent = (data: string) => {
    written.push(data);
    return addContent.call(doc, data);
  };
  try {
    draw();
  } finally {
    delete (internals as Partial<PdfkitInternals>).addContent;
  }
  const content = written.join('\n');
  const fonts = content.match(/\/F\d+ [\d.]+ Tf/g) ?? [];
  if (!fonts.every((font) => font.startsWith(`/${frameId} `))) return;
  if (parts.size >= PARTS_KEPT) parts.delete(parts.keys().next().value!);
  parts.set(cacheKey, content);
}
