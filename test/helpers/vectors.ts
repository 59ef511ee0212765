import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The public vectors live beside the repository in ../shared (CI lays it there too). */
const path = fileURLToPath(new URL('../../../shared/vectors/open-data.json', import.meta.url));

export interface Vectors {
  decrypt: { appId: string; sessionKey: string; iv: string; encryptedData: string; plaintext: string };
  rawDataSignature: { sessionKey: string; rawData: string; signature: string };
  sessionSignature: { cases: { sessionKey: string; message: string; signature: string }[] };
}

export const vectors: Vectors = JSON.parse(readFileSync(path, 'utf8')) as Vectors;
