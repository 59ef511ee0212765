import { crc32, deflateSync } from 'node:zlib';
import qrcode from 'qrcode-generator';

/**
 * The picture of a mini-program code, offline: a real QR code of `text` as an 8-bit grayscale
 * PNG. WeChat draws a "sun code" only its app reads; a QR code any phone camera or decoder reads
 * serves the same purpose in tests and the playground. qrcode-generator (MIT, no dependencies)
 * does the Reed-Solomon and masking work; the PNG container is small enough to write here with
 * node:zlib. `metadata` goes into a tEXt chunk, so the emulator's own "scan" can read a code it
 * drew without decoding pixels.
 */
export function qrPng(text: string, options: { width: number; metadata: string }): Buffer {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const modules = qr.getModuleCount();
  const quiet = 4; // the quiet zone the QR standard asks for, in modules
  const scale = Math.max(1, Math.floor(options.width / (modules + 2 * quiet)));
  const size = (modules + 2 * quiet) * scale;
  // One filter byte (0: none) before each row of gray pixels; white 255, black 0.
  const raw = Buffer.alloc(size * (size + 1), 255);
  for (let y = 0; y < size; y++) {
    raw[y * (size + 1)] = 0;
    const row = Math.floor(y / scale) - quiet;
    if (row < 0 || row >= modules) continue;
    for (let x = 0; x < size; x++) {
      const col = Math.floor(x / scale) - quiet;
      if (col >= 0 && col < modules && qr.isDark(row, col)) raw[y * (size + 1) + 1 + x] = 0;
    }
  }
  const metadata = Buffer.concat([Buffer.from(`${TEXT_KEYWORD}\0`, 'latin1'), Buffer.from(options.metadata, 'latin1')]);
  return encodePng({ size, colourType: 0, raw, text: metadata });
}

/**
 * A square 8-bit PNG of `raw` rows (each a filter byte, then its pixels): colour type 0 grey, 2
 * RGB; `text`, a tEXt chunk's data.
 */
export function encodePng(image: { size: number; colourType: 0 | 2; raw: Buffer; text?: Buffer }): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(image.size, 0);
  header.writeUInt32BE(image.size, 4);
  header[8] = 8; // bit depth
  header[9] = image.colourType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...(image.text ? [chunk('tEXt', image.text)] : []),
    chunk('IDAT', deflateSync(image.raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const TEXT_KEYWORD = 'weapp-auth-wxacode';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** The metadata `qrPng` stored in the picture, or undefined when it is not one of ours. */
export function readPngMetadata(png: Buffer): string | undefined {
  if (png.length < 8 || png.readUInt32BE(0) !== 0x89504e47) return undefined;
  let at = 8;
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'tEXt') {
      const text = data.toString('latin1');
      const separator = text.indexOf('\0');
      if (text.slice(0, separator) === TEXT_KEYWORD) return text.slice(separator + 1);
    }
    if (type === 'IEND') return undefined;
    at += 12 + length;
  }
  return undefined;
}
