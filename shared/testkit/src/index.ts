export { freePort } from "./free-port.js";
export { RedisNotInstalledError, startRedis, waitForPing } from "./redis-server.js";
export type { StartRedisOptions, TestRedis } from "./redis-server.js";
