/**
 * The CLI's connection to the admin API: Connect clients over HTTP/1.1 with a
 * bearer session. The session token is cached in the data folder (0600) and
 * renewed by logging in again when it is missing, expired or refused.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AccountService, ApiKeyService, AuthService, ModelAliasService, NotificationService, ServiceTokenService } from "@claude-relay/proto/admin";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { adminPasswordFile, readOptional } from "./data-dir.js";

/** Typed clients of every admin service. */
export interface AdminClients {
  accounts: Client<typeof AccountService>;
  apiKeys: Client<typeof ApiKeyService>;
  auth: Client<typeof AuthService>;
  modelAliases: Client<typeof ModelAliasService>;
}

/** The admin clients with those main hands to one command each: service tokens (signed-in admins only) and notification targets. */
export interface AdminClientsWithTokens extends AdminClients {
  serviceTokens: Client<typeof ServiceTokenService>;
  notifications: Client<typeof NotificationService>;
}

/** Options of connectAdmin. */
export interface AdminConnectOptions {
  url: string;
  dataDir: string;
  username: string;
  /** Explicit password; else CLAUDE_RELAY_ADMIN_PASSWORD, else the generated one in the data folder. */
  password?: string;
}

interface CachedSession {
  url: string;
  token: string;
  expiresAtMs: number;
}

/** Thrown by connectAdmin when no password is known for logging in. */
export class NoPasswordError extends Error {
  readonly code = "ERR_NO_ADMIN_PASSWORD";
  constructor() {
    super("no admin password: pass --password or set CLAUDE_RELAY_ADMIN_PASSWORD");
    this.name = "NoPasswordError";
  }
}

export async function connectAdmin(options: AdminConnectOptions): Promise<AdminClientsWithTokens> {
  const sessionFile = join(options.dataDir, "cli-session.json");
  let token = await cachedToken(sessionFile, options.url);
  const transportWith = (interceptors: Interceptor[]) =>
    createConnectTransport({ baseUrl: options.url, httpVersion: "1.1", interceptors });
  const auth = createClient(AuthService, transportWith([]));

  const login = async (): Promise<string> => {
    const password =
      options.password ?? process.env.CLAUDE_RELAY_ADMIN_PASSWORD ?? (await readOptional(adminPasswordFile(options.dataDir)));
    if (!password) throw new NoPasswordError();
    const res = await auth.login({ username: options.username, password });
    const session: CachedSession = {
      url: options.url,
      token: res.token,
      expiresAtMs: res.expiresAt ? timestampMs(res.expiresAt) : Date.now() + 3_600_000,
    };
    await writeFile(sessionFile, JSON.stringify(session), { mode: 0o600 }).catch(() => {});
    return res.token;
  };

  const bearer: Interceptor = (next) => async (req) => {
    token ??= await login();
    req.header.set("authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (err) {
      if (!(err instanceof ConnectError) || err.code !== Code.Unauthenticated) throw err;
      token = await login();
      req.header.set("authorization", `Bearer ${token}`);
      return await next(req);
    }
  };
  const transport = transportWith([bearer]);
  return {
    accounts: createClient(AccountService, transport),
    apiKeys: createClient(ApiKeyService, transport),
    auth,
    modelAliases: createClient(ModelAliasService, transport),
    serviceTokens: createClient(ServiceTokenService, transport),
    notifications: createClient(NotificationService, transport),
  };
}

async function cachedToken(file: string, url: string): Promise<string | undefined> {
  const text = await readOptional(file);
  if (!text) return undefined;
  try {
    const session = JSON.parse(text) as CachedSession;
    return session.url === url && session.expiresAtMs > Date.now() + 10_000 ? session.token : undefined;
  } catch {
    return undefined;
  }
}
