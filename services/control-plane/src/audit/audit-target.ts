/**
 * What the audit log may take from an admin call, found by reflection on the
 * generated descriptors so that every service, present and future, is covered
 * without a list to keep up to date:
 * - a call is a read (not recorded) when its method is declared
 *   `idempotency_level = NO_SIDE_EFFECTS` or named Get…, List…, Find…, Search…,
 *   Watch…, Describe… or Count…;
 * - the target is the request's `id`, else the `id` of what the response
 *   returns (a created record), else another identifier of the request
 *   (`*_id`, then `*_hash`, then `alias`, then `model`);
 * - the target name is a `name` field of the request, else of the returned record.
 * Nothing else is read, so secrets (passwords, keys, tokens) never reach the log.
 */
import { ScalarType, type DescField, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";

const READ_VERBS = /^(Get|List|Find|Search|Watch|Describe|Count)(?=[A-Z]|$)/;
/** Recorded values are identifiers and names; anything longer is cut. */
const MAX_VALUE_LENGTH = 200;

/** True when calling the method changes nothing, so the audit log skips it. */
export function isReadMethod(method: DescMethod): boolean {
  return method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS || READ_VERBS.test(method.name);
}

/** The target of a call, from the allow-listed fields of its request and response. */
export function auditTarget(method: DescMethod, request: unknown, response: unknown): { targetId: string; targetName: string } {
  const targetId =
    read(request, stringField(method.input, (name) => name === "id")) ||
    returnedRecordField(method.output, response, (desc) => stringField(desc, (name) => name === "id")) ||
    otherIdOf(method.input, request);
  const targetName =
    nameOf(method.input, request) || returnedRecordField(method.output, response, (desc) => stringField(desc, (name) => name === "name"));
  return { targetId, targetName };
}

function otherIdOf(desc: DescMessage, message: unknown): string {
  const rules: Array<(name: string) => boolean> = [(name) => name.endsWith("_id"), (name) => name.endsWith("_hash"), (name) => name === "alias", (name) => name === "model"];
  for (const rule of rules) {
    const value = read(message, stringField(desc, rule));
    if (value !== "") return value;
  }
  return "";
}

function nameOf(desc: DescMessage, message: unknown): string {
  return read(message, stringField(desc, (name) => name === "name"));
}

/** A field of the response itself, else of a record (message field) the response carries. */
function returnedRecordField(desc: DescMessage, message: unknown, pick: (desc: DescMessage) => DescField | undefined): string {
  const direct = read(message, pick(desc));
  if (direct !== "") return direct;
  for (const field of desc.fields) {
    if (field.fieldKind !== "message" || field.oneof !== undefined) continue;
    const value = read((message as Record<string, unknown> | undefined)?.[field.localName], pick(field.message));
    if (value !== "") return value;
  }
  return "";
}

/** The first plain (not repeated, not in a oneof) string field whose proto name passes `rule`. */
function stringField(desc: DescMessage, rule: (name: string) => boolean): DescField | undefined {
  return desc.fields.find((field) => field.fieldKind === "scalar" && field.scalar === ScalarType.STRING && field.oneof === undefined && rule(field.name));
}

function read(message: unknown, field: DescField | undefined): string {
  if (field === undefined || typeof message !== "object" || message === null) return "";
  const value = (message as Record<string, unknown>)[field.localName];
  return typeof value === "string" ? value.slice(0, MAX_VALUE_LENGTH) : "";
}
