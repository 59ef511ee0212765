export { CacheAccessTokenStore } from './access-token-store.ts';
export { type Cache, CacheError, type CacheErrorCode, isCacheUnavailable } from './cache.ts';
export { LocalFallbackCache } from './local-fallback-cache.ts';
export { type LockOptions, withLock } from './lock.ts';
export { MemoryCache } from './memory-cache.ts';
export { boundedRedisOptions, type OpenCacheOptions, openCache } from './open-cache.ts';
export { DEFAULT_CACHE_PREFIX, RedisCache, type RedisCacheOptions } from './redis-cache.ts';
export { newRedisClient } from './redis-client.ts';
export { SingleFlight } from './single-flight.ts';
