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

/**
 * WeChat's message-push vectors (official, SDK and derived ones, each with its source), read
 * field by field by the tests of the push crypto, the push endpoint and the emulator's pushes.
 */
// biome-ignore lint/suspicious/noExplicitAny: the file's entries differ in shape; tests read what they need
export const pushVectors: any = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../shared/vectors/message-push.json', import.meta.url)), 'utf8'),
);
