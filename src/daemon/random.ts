import { randomFillSync } from 'node:crypto';
import { type RandomSource } from '../core/index.js';

/** The production random source: the operating system's CSPRNG, read 4 KiB at a time. */
export function cryptoRandom(): RandomSource {
  const buffer = new Uint32Array(1024);
  let next = buffer.length;
  return {
    nextUint32(): number {
      if (next >= buffer.length) {
        randomFillSync(buffer);
        next = 0;
      }
      return buffer[next++]!;
    },
  };
}
