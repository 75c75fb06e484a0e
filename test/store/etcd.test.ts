/**
 * The store conformance suite on the etcd backend, against one real etcd member started here (Debian's
 * etcd-server on loopback ports chosen at run time). Every case gets its own key prefix on that member.
 */
import { after, before, describe } from 'node:test';
import { Etcd3 } from 'etcd3';
import { EtcdStore } from '../../src/store/etcd/etcd-store.js';
import { EtcdCluster, etcdMissing } from '../support/etcd.js';
import { storeContract } from './contract.js';

const missing = etcdMissing();
let cluster: EtcdCluster | undefined;
let cases = 0;

describe('etcd member for the store contract', { skip: missing ?? false }, () => {
  before(async () => {
    cluster = await EtcdCluster.start({ members: 1 });
  });
  after(async () => {
    await cluster?.close();
  });

  storeContract('store contract: etcd', async (options) => {
    const prefix = `/ipkeeper-contract-${process.pid}-${++cases}/`;
    const connection = { endpoints: cluster!.endpoints };
    const open = (): Promise<EtcdStore> => EtcdStore.open({ ...options, connection, prefix });
    return {
      store: await open(),
      reopen: open,
      cleanup: async () => {
        const client = new Etcd3({ hosts: cluster!.endpoints });
        await client.delete().prefix(prefix);
        client.close();
      },
    };
  });
});
