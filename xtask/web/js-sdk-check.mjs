// The matrix-js-sdk check of `cargo xtask js-sdk`: registration through UIAA, then the password
// change as Element does it (`setPassword({}, new)` first, which sends `"auth": {}`, for the
// flows; then the `m.login.password` stage), then the old password refused. Prints one JSON line.
import * as sdk from "matrix-js-sdk";

const baseUrl = process.argv[2];
const steps = [];

/** The 401 UIAA state a call answers with; anything else fails the check. */
async function uiaaState(call, what) {
  try {
    await call();
  } catch (error) {
    if (error.httpStatus === 401 && Array.isArray(error.data?.flows)) {
      steps.push({ what, status: 401, flows: error.data.flows, errcode: error.data.errcode ?? null });
      return error.data;
    }
    throw new Error(`${what}: ${error.httpStatus} ${JSON.stringify(error.data)}`);
  }
  throw new Error(`${what}: succeeded without UIAA`);
}

const client = sdk.createClient({ baseUrl });
const username = "jssdk" + Date.now();
const first = "pw-js-1";
const second = "pw-js-2";

const state = await uiaaState(() => client.registerRequest({ username, password: first }), "register");
const registered = await client.registerRequest({
  username,
  password: first,
  auth: { type: "m.login.dummy", session: state.session },
});
steps.push({ what: "register with m.login.dummy", user_id: registered.user_id });

const user = sdk.createClient({ baseUrl, accessToken: registered.access_token, userId: registered.user_id });
const identifier = { type: "m.id.user", user: registered.user_id };
const flows = await uiaaState(() => user.setPassword({}, second), "setPassword({}, new)");
if (!flows.flows.some((flow) => flow.stages.includes("m.login.password"))) {
  throw new Error("no m.login.password flow: " + JSON.stringify(flows));
}
await user.setPassword({ type: "m.login.password", session: flows.session, identifier, password: first }, second);
steps.push({ what: "setPassword with m.login.password", status: 200 });
const refused = await uiaaState(
  () => user.setPassword({ type: "m.login.password", identifier, password: first }, "pw-js-3"),
  "setPassword with the old password",
);
if (refused.errcode !== "M_FORBIDDEN") throw new Error("the old password was not refused: " + JSON.stringify(refused));

console.log(JSON.stringify({ passed: true, sdk: "matrix-js-sdk", steps }));
process.exit(0);
