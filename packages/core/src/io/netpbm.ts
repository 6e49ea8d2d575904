/**
 * Netpbm greymaps and pixmaps (PGM P2/P5, PPM P3/P6; maxval up to 65535): libvips reads them only when
 * built with its ppm loader, which sharp's prebuilt binaries leave out, and many classic face and
 * character sets ship as `.pgm`. Samples above 8 bits are scaled to 0..255 (rounded).
 */

export interface NetpbmImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** HWC uint8. */
  data: Uint8Array;
}

const MAGIC: Record<string, { channels: 1 | 3; ascii: boolean }> = {
  P2: { channels: 1, ascii: true },
  P3: { channels: 3, ascii: true },
  P5: { channels: 1, ascii: false },
  P6: { channels: 3, ascii: false },
};

/** True when `bytes` start with a netpbm magic this decoder reads (P2, P3, P5, P6). */
export function isNetpbm(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 3 &&
    bytes[0] === 0x50 &&
    bytes[1] >= 0x32 &&
    bytes[1] <= 0x36 &&
    bytes[1] !== 0x34 &&
    (bytes[2] === 0x20 || bytes[2] === 0x0a || bytes[2] === 0x0d || bytes[2] === 0x09 || bytes[2] === 0x23)
  );
}

const isSpace = (c: number) =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;

/** Decodes a P2/P3/P5/P6 file; throws an Error saying what is wrong (the caller names the file). */
export function decodeNetpbm(bytes: Uint8Array): NetpbmImage {
  const magic = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0);
  const kind = MAGIC[magic];
  if (!kind) throw new Error(`not a PGM/PPM file (magic '${magic}'; P2, P3, P5 and P6 are read)`);
  let pos = 2;
  // Header tokens and ASCII samples: whitespace-separated, '#' comments to end of line.
  const token = (what: string): number => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos])) pos++;
      if (bytes[pos] === 0x23) {
        while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    let v = 0;
    while (pos < bytes.length && bytes[pos] >= 0x30 && bytes[pos] <= 0x39) {
      v = v * 10 + bytes[pos] - 0x30;
      pos++;
    }
    if (pos === start)
      throw new Error(pos >= bytes.length ? `truncated: ${what} missing` : `bad ${what} at byte ${start}`);
    return v;
  };
  const width = token('width');
  const height = token('height');
  const maxval = token('maxval');
  if (width < 1 || height < 1) throw new Error(`bad size ${width}x${height}`);
  if (maxval < 1 || maxval > 65535) throw new Error(`maxval ${maxval} outside 1..65535`);
  const n = width * height * kind.channels;
  const data = new Uint8Array(n);
  const scale = (v: number) => (maxval === 255 ? v : Math.round((Math.min(v, maxval) * 255) / maxval));
  if (kind.ascii) {
    for (let i = 0; i < n; i++) data[i] = scale(token(`sample ${i} of ${n}`));
    return { width, height, channels: kind.channels, data };
  }
  // Exactly one whitespace byte separates maxval from the raster.
  pos++;
  const wide = maxval > 255;
  const need = n * (wide ? 2 : 1);
  if (bytes.length - pos < need)
    throw new Error(`truncated: ${bytes.length - pos} raster bytes, expected ${need} for ${width}x${height}`);
  if (wide) for (let i = 0; i < n; i++) data[i] = scale((bytes[pos + 2 * i] << 8) | bytes[pos + 2 * i + 1]);
  else for (let i = 0; i < n; i++) data[i] = scale(bytes[pos + i]);
  return { width, height, channels: kind.channels, data };
}

/** Encodes HWC uint8 as binary PGM (1 channel) or PPM (3); `maxval` 65535 writes 16-bit samples. */
export function encodeNetpbm(img: NetpbmImage, maxval = 255): Uint8Array {
  const header = new TextEncoder().encode(
    `${img.channels === 1 ? 'P5' : 'P6'}\n${img.width} ${img.height}\n${maxval}\n`,
  );
  const wide = maxval > 255;
  const body = new Uint8Array(img.data.length * (wide ? 2 : 1));
  for (let i = 0; i < img.data.length; i++) {
    const v = Math.round((img.data[i] * maxval) / 255);
    if (wide) {
      body[2 * i] = v >> 8;
      body[2 * i + 1] = v & 0xff;
    } else body[i] = v;
  }
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}
