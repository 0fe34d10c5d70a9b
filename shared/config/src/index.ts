export { ConfigError, loadConfig } from "./load-config.js";
export { envBool, envInt, envSecret, envUrl } from "./env.js";
export { Secret } from "./secret.js";
