// The admin API contract, served over Connect to the admin UI, the CLI and curl.
export * from "./gen/claude_relay/admin/v1/auth_service_pb.js";
export * from "./gen/claude_relay/admin/v1/account_service_pb.js";
export * from "./gen/claude_relay/admin/v1/api_key_service_pb.js";
export * from "./gen/claude_relay/admin/v1/session_service_pb.js";
export * from "./gen/claude_relay/admin/v1/usage_service_pb.js";
export * from "./gen/claude_relay/admin/v1/audit_service_pb.js";
export * from "./gen/claude_relay/admin/v1/model_alias_service_pb.js";
export * from "./gen/claude_relay/admin/v1/service_token_service_pb.js";
export * from "./gen/claude_relay/admin/v1/notification_service_pb.js";
export * from "./gen/claude_relay/admin/v1/price_service_pb.js";
export * from "./gen/claude_relay/admin/v1/queue_service_pb.js";
export { Platform } from "./gen/claude_relay/lease/v1/platform_pb.js";
