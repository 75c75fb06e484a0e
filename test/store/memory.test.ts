import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { storeContract } from './contract.js';

// The memory store keeps nothing across close/open, so the reopen case reports itself skipped.
storeContract('store contract: memory', async (options) => ({
  store: new MemoryStore(undefined, options),
  cleanup: async () => {},
}));
