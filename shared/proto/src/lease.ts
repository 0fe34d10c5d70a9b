// The hot-path contract between the relay and the control plane.
export {
  AcquireRequestSchema,
  AcquireResponseSchema,
  CallErrorSchema,
  ChatGptAccountSchema,
  CodeAssistAccountSchema,
  CredentialKind,
  ExchangeRequestSchema,
  ExchangeResponseSchema,
  LeaseSchema,
  LeaseService,
  ListModelsRequestSchema,
  ListModelsResponseSchema,
  ReleaseRequestSchema,
  ReleaseResponseSchema,
  RenewRequestSchema,
  RenewResponseSchema,
  ServedModelSchema,
  ServedModelsSchema,
  UpstreamAccountSchema,
  UpstreamAccountType,
} from "./gen/claude_relay/lease/v1/lease_service_pb.js";
export type {
  AcquireRequest,
  AcquireResponse,
  CallError,
  ChatGptAccount,
  CodeAssistAccount,
  ExchangeRequest,
  ExchangeResponse,
  Lease,
  ListModelsRequest,
  ListModelsResponse,
  ReleaseRequest,
  ReleaseResponse,
  RenewRequest,
  RenewResponse,
  ServedModel,
  ServedModels,
  UpstreamAccount,
} from "./gen/claude_relay/lease/v1/lease_service_pb.js";
export { RefusalReason, RefusalSchema } from "./gen/claude_relay/lease/v1/refusal_pb.js";
export type { Refusal } from "./gen/claude_relay/lease/v1/refusal_pb.js";
export { Platform } from "./gen/claude_relay/lease/v1/platform_pb.js";
export { AccountSignal, OutcomeKind, OutcomeSchema, UsageSchema } from "./gen/claude_relay/lease/v1/usage_pb.js";
export type { Outcome, Usage } from "./gen/claude_relay/lease/v1/usage_pb.js";
