/**
 * The CJK font documents are set in: Noto Sans SC (SIL Open Font License) from the npm registry,
 * so no system font is assumed. Parsed once per process and shared by every document: parsing the
 * 10 MB font costs ~22 ms, a whole invoice page ~9 ms (measured here, 2026-11-22). pdfkit embeds
 * only the glyphs a document uses, so copying text out of the PDF gives the real characters.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';

const require = createRequire(import.meta.url);
const FONT_FILE = require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf');

let font: fontkit.Font | undefined;

export function cjkFont(): fontkit.Font {
  font ??= fontkit.create(readFileSync(FONT_FILE)) as fontkit.Font;
  return font;
}

/** Shaped text runs kept across documents; item names and figures repeat from invoice to invoice. */
const LAYOUTS_KEPT = 20_000;

interface Run {
  readonly glyphs: fontkit.Glyph[];
  readonly positions: ReadonlyArray<Record<string, number>>;
}

/**
 * `font` as every document uses it, remembering what does not change from one document to the
 * next (profiled: shaping the same words and decoding the same glyph outlines again took half of
 * a page's time). pdfkit keeps a layout per document and scales the positions it gets in place,
 * so each call answers fresh positions over the shared glyphs; glyph outlines are decoded once
 * per glyph, for every subset that includes it. What pdfkit writes is the same byte for byte
 * (test/documents/cjk-font.test.ts).
 */
export function rememberingFont(font: fontkit.Font): fontkit.Font {
  const layouts = new Map<string, Run>();
  const decoded = new WeakSet<object>();
  const shaped = Object.create(font) as fontkit.Font & Record<string, unknown>;
  shaped.layout = ((text: string, features?: unknown) => {
    if (features !== undefined) return font.layout(text, features as Parameters<fontkit.Font['layout']>[1]);
    let run = layouts.get(text);
    if (!run) {
      run = font.layout(text) as unknown as Run;
      if (layouts.size >= LAYOUTS_KEPT) layouts.delete(layouts.keys().next().value!);
      layouts.set(text, run);
    }
    const positions = run.positions.map((position) => ({ ...position }));
    return {
      glyphs: run.glyphs,
      positions,
      get advanceWidth() {
        return positions.reduce((sum, position) => sum + position.xAdvance!, 0);
      },
    };
  }) as unknown as fontkit.Font['layout'];
  shaped.getGlyph = ((id: number, characters?: number[]) => {
    const glyph = font.getGlyph(id, characters) as fontkit.Glyph & { _decode?: () => unknown };
    // fontkit's TrueType glyph parses its outline on every _decode(); the subsetter calls it for
    // every glyph of every document. The parsed outline is only read, so one parse serves all.
    if (typeof glyph._decode === 'function' && !decoded.has(glyph)) {
      const decode = glyph._decode.bind(glyph);
      let outline: unknown;
      let done = false;
      glyph._decode = () => {
        if (!done) {
          outline = decode();
          done = true;
        }
        return outline;
      };
      decoded.add(glyph);
    }
    return glyph;
  });
  return shaped;
}

let remembering: fontkit.Font | undefined;

/** The CJK font as documents use it (rememberingFont over cjkFont). */
export function cjkDocumentFont(): fontkit.Font {
  remembering ??= rememberingFont(cjkFont());
  return remembering;
}
