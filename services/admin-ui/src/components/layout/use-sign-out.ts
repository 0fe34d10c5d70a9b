import { AuthService } from "@claude-relay/proto/admin";
import { useRouter } from "vue-router";
import { useClient } from "../../api/use-client.js";
import { useSessionStore } from "../../stores/session.js";

/** A sign-out action: ends the session on the server (best effort), forgets it here, goes to login. */
export function useSignOut(): () => Promise<void> {
  const client = useClient(AuthService);
  const session = useSessionStore();
  const router = useRouter();
  return async () => {
    try {
      await client.logout({});
    } catch {
      // Already expired or unreachable: forgetting the token locally is what matters.
    }
    session.clear();
    await router.replace({ name: "login" });
  };
}
