export { CacheAccessTokenStore } from './access-token-store.ts';
export { type Cache, CacheError, type CacheErrorCode } from './cache.ts';
export { type LockOptions, withLock } from './lock.ts';
export { MemoryCache } from './memory-cache.ts';
export { type OpenCacheOptions, openCache } from './open-cache.ts';
export { DEFAULT_CACHE_PREFIX, RedisCache, type RedisCacheOptions } from './redis-cache.ts';
export { SingleFlight } from './single-flight.ts';
