// A real OpenID provider for the tests: the certified `oidc-provider` package, on loopback.
//
// argv: <node_modules dir> <port> <redirect uri> <client secret>
// Users sign in through the package's development login form (any user name and password);
// the claims come from ACCOUNTS below. Test hooks under /_test/ (loopback only, like the rest):
//   POST /_test/clock?offset=SECONDS  moves the provider's clock (expired codes, no sleeping)
//   POST /_test/tamper?on=1           changes the `sub` of the next ID tokens, keeping their
//                                     signature, so the relying party must refuse them
//   POST /_test/hold?on=1             shows the redirect back to the relying party as a text
//                                     page instead of following it, for the test to visit
//                                     (Playwright cannot stop a browser inside a redirect)
import { createRequire } from "node:module";
import path from "node:path";

const [modules, port, redirectUri, clientSecret] = process.argv.slice(2);
const require = createRequire(path.join(modules, "noop.js"));
const { default: Provider } = await import(require.resolve("oidc-provider"));

const realNow = Date.now;
let offset = 0;
Date.now = () => realNow() + offset * 1000;
let tamper = false;
let hold = false;

const ACCOUNTS = {
  alice: { email: "alice@example.org", name: "Alice Example", groups: ["council", "/staff/board"] },
  bob: { email: "bob@example.org", name: "Bob Example", groups: ["council"] },
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "bitpoll",
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
    groups: ["groups"],
  },
  // Claims in the ID token too, as Keycloak and Authentik put them there.
  conformIdTokenClaims: false,
  cookies: { keys: ["bitpoll-tests-only"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const known = ACCOUNTS[id] || { email: `${id}@example.org`, name: id, groups: [] };
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email_verified: true, ...known };
      },
    };
  },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === "/_test/clock" && ctx.method === "POST") {
    offset = Number(ctx.query.offset || 0);
    ctx.body = { offset };
    return;
  }
  if (ctx.path === "/_test/tamper" && ctx.method === "POST") {
    tamper = ctx.query.on === "1";
    ctx.body = { tamper };
    return;
  }
  if (ctx.path === "/_test/hold" && ctx.method === "POST") {
    hold = ctx.query.on === "1";
    ctx.body = { hold };
    return;
  }
  await next();
  const location = ctx.response.get("location");
  if (hold && ctx.status >= 300 && ctx.status < 400 && location.startsWith(redirectUri)) {
    ctx.remove("location");
    ctx.status = 200;
    ctx.type = "text/plain";
    ctx.body = location;
  }
  if (tamper && ctx.path === "/token" && ctx.body && ctx.body.id_token) {
    const [head, payload, signature] = ctx.body.id_token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    claims.sub = "mallory";
    const forged = Buffer.from(JSON.stringify(claims)).toString("base64url");
    ctx.body = { ...ctx.body, id_token: [head, forged, signature].join(".") };
  }
});

provider.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write("ready\n");
});
