/** The pure allocation engine: addresses, ranges, subnets, pools, reservations, the allocator. */
export * from './errors.js';
export * from './ip/address.js';
export * from './ip/cidr.js';
export * from './ip/range.js';
export * from './ip/range-set.js';
export * from './random.js';
export * from './mac.js';
export * from './lease.js';
export * from './effects.js';
export * from './model/subnet.js';
export * from './model/ippool.js';
export * from './model/spider-pool.js';
export * from './model/reservation.js';
export * from './engine.js';
export * from './allocate.js';
export * from './usage.js';
export * from './names.js';
