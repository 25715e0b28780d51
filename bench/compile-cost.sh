#!/usr/bin/env bash
# Compile cost: the clean release build time of the generated crates against a tiny crate on
# ruma-client-api (register, password change, email token request; the whole of
# ruma-client-api is compiled either way).
#
#   bash bench/compile-cost.sh            # six clean builds, a few minutes each on 2 cores
#   JOBS=1 bash bench/compile-cost.sh     # cargo -j1, less sensitive to other load
#   ROUNDS=2 bash bench/compile-cost.sh   # every build twice, alternating; the best time is shown
#   KEEP=1 bash bench/compile-cost.sh     # keep the scratch folder (its path is printed)
#   ONLY="ruma client-server-types" bash bench/compile-cost.sh   # only these builds
#
# Not run in CI. Each crate is copied or written to a scratch folder as a standalone crate
# (the workspace's Cargo.lock is copied in, so the versions are the workspace's), its
# dependencies fetched first (downloads are not timed), then `cargo clean` and
# `cargo build --release` with a fresh CARGO_TARGET_DIR, timed by wall clock:
#
#   generated-all          generated/ with --all-features (types, sans-IO, axum server, reqwest
#                          client with rustls)
#   generated-types        generated/ with no feature (types and sans-IO HTTP only)
#   client-server-all      generated-client-server/, the whole Client-Server API, --all-features
#   client-server-types    generated-client-server/ with no feature
#   ruma                   ruma-client-api 0.25 with `client` and `server` (types and HTTP
#                          conversions of the whole API)
#   ruma+axum+reqwest      the same, plus the axum and reqwest (with rustls) the generated
#                          crates' features bring
#
# `*-types` against `ruma` compares what both offer; `*-all` against `ruma+axum+reqwest`
# compares the dependency trees a server and client build. The targets (issue 10): the whole
# API's `client-server-types` builds in at most the time of `ruma`, `client-server-all` in at
# most that of `ruma+axum+reqwest`; the last lines say whether they are met. Wall times move
# with the machine's other load: run it on a quiet machine, or compare within one run.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/compile-cost.XXXXXX")"
if [ -z "${KEEP:-}" ]; then
  trap 'rm -rf "$work"' EXIT
else
  echo "scratch folder: $work" >&2
fi
jobs=()
if [ -n "${JOBS:-}" ]; then jobs=(-j "$JOBS"); fi

# The generated crates, standalone: their manifests have no workspace keys.
for crate in generated generated-client-server; do
  cp -r "$root/$crate" "$work/$crate"
  rm -rf "$work/$crate/target"
  cp "$root/Cargo.lock" "$work/$crate/Cargo.lock"
  printf '\n[workspace]\n' >>"$work/$crate/Cargo.toml"
done

# A tiny crate using ruma-client-api for the same three endpoints and the UIAA types.
write_ruma_crate() {
  local dir="$1" extra="$2"
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "ruma-registration"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
ruma-client-api = { version = "0.25.2", features = ["client", "server"] }
ruma-common = { version = "0.20.2", features = ["api"] }
http = "1.4"
$extra

[workspace]
EOF
  cat >"$dir/src/lib.rs" <<'EOF'
//! The registration endpoints of ruma-client-api, re-exported so that they are compiled.
pub use ruma_client_api::account::change_password::v3 as change_password;
pub use ruma_client_api::account::register::v3 as register;
pub use ruma_client_api::account::request_registration_token_via_email::v3 as request_token_to_register_email;
pub use ruma_client_api::uiaa::{AuthData, UiaaInfo, UiaaResponse};

use ruma_common::api::{IncomingRequestExt, IncomingResponseExt, OutgoingRequestExt, OutgoingResponseExt};

/// Monomorphizes the HTTP conversions of the three endpoints, as a server and a client do.
pub fn conversions() {
    let _ = register::Request::try_from_http_request(http::Request::new(&b"{}"[..]), &[]);
    let _ = change_password::Request::try_from_http_request(http::Request::new(&b"{}"[..]), &[]);
    let _ = request_token_to_register_email::Request::try_from_http_request(http::Request::new(&b"{}"[..]), &[]);
    let _ = register::Response::try_from_http_response(http::Response::new(&b"{}"[..]));
    let _ = change_password::Response::try_from_http_response(http::Response::new(&b"{}"[..]));
    let _ = request_token_to_register_email::Response::try_from_http_response(http::Response::new(&b"{}"[..]));
    let versions: std::borrow::Cow<'_, ruma_common::api::SupportedVersions> = std::borrow::Cow::Owned(ruma_common::api::SupportedVersions {
        versions: [ruma_common::api::MatrixVersion::V1_1].into(),
        features: Default::default(),
    });
    let token = ruma_common::api::auth_scheme::SendAccessToken::None;
    let _ = register::Request::new().try_into_http_request::<Vec<u8>>("http://localhost", token, versions.clone());
    let _ = change_password::Request::new("pw".into())
        .try_into_http_request::<Vec<u8>>("http://localhost", token, versions.clone());
    if let Ok(user_id) = ruma_common::OwnedUserId::try_from("@alice:localhost") {
        let _ = register::Response::new(user_id).try_into_http_response::<Vec<u8>>();
    }
    let _ = change_password::Response::new().try_into_http_response::<Vec<u8>>();
    let _ = UiaaResponse::AuthResponse(UiaaInfo::new(Vec::new())).try_into_http_response::<Vec<u8>>();
}
EOF
  cp "$root/Cargo.lock" "$dir/Cargo.lock"
}
write_ruma_crate "$work/ruma" ""
write_ruma_crate "$work/ruma-axum-reqwest" \
  'axum = { version = "0.8.9", default-features = false, features = ["http1", "tokio"] }
reqwest = { version = "0.13.5", default-features = false, features = ["http2", "rustls"] }
tokio = { version = "1.48", features = ["time"] }'

# name, crate folder, cargo flags
builds=(
  "ruma|$work/ruma|"
  "generated-types|$work/generated|--no-default-features"
  "client-server-types|$work/generated-client-server|--no-default-features"
  "ruma+axum+reqwest|$work/ruma-axum-reqwest|"
  "generated-all|$work/generated|--all-features"
  "client-server-all|$work/generated-client-server|--all-features"
)
if [ -n "${ONLY:-}" ]; then
  chosen=()
  for build in "${builds[@]}"; do
    for name in $ONLY; do
      if [ "${build%%|*}" = "$name" ]; then chosen+=("$build"); fi
    done
  done
  builds=("${chosen[@]}")
fi

rounds="${ROUNDS:-1}"
declare -A times crates
for round in $(seq 1 "$rounds"); do
  for build in "${builds[@]}"; do
    IFS='|' read -r name dir flags <<<"$build"
    target="$work/target-${name//[^a-z]/-}"
    echo "==> round $round, $name: fetching" >&2
    (cd "$dir" && cargo fetch --quiet)
    echo "==> round $round, $name: cargo clean, cargo build --release $flags" >&2
    (cd "$dir" && CARGO_TARGET_DIR="$target" cargo clean --quiet)
    start=$(date +%s.%N)
    # shellcheck disable=SC2086 # flags is one flag or none
    (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build --release ${jobs[@]+"${jobs[@]}"} $flags 2>"$work/$name.log")
    end=$(date +%s.%N)
    seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
    crates[$name]=$(grep -c '^ *Compiling ' "$work/$name.log" || true)
    times[$name]="${times[$name]:-} $seconds"
    echo "    $seconds s, ${crates[$name]} crates compiled (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
  done
done

echo
printf '%-20s %8s %10s   %s\n' "build" "crates" "best (s)" "every round (s)"
declare -A best
for build in "${builds[@]}"; do
  IFS='|' read -r name _ _ <<<"$build"
  best[$name]=$(tr ' ' '\n' <<<"${times[$name]}" | grep . | sort -n | head -1)
  printf '%-20s %8s %10s  %s\n' "$name" "${crates[$name]}" "${best[$name]}" "${times[$name]}"
done
echo
# target: ours at most theirs, on the best times
target() {
  local ours="$1" theirs="$2"
  if [ -z "${best[$ours]:-}" ] || [ -z "${best[$theirs]:-}" ]; then return; fi
  local verdict
  verdict=$(awk -v a="${best[$ours]}" -v b="${best[$theirs]}" 'BEGIN { print (a <= b) ? "met" : "NOT met" }')
  local ratio
  ratio=$(awk -v a="${best[$ours]}" -v b="${best[$theirs]}" 'BEGIN { printf "%.2f", a / b }')
  echo "target: $ours at most $theirs: $verdict (${best[$ours]} s vs ${best[$theirs]} s, ${ratio}x)"
}
target client-server-types ruma
target client-server-all ruma+axum+reqwest
target generated-types ruma
target generated-all ruma+axum+reqwest
echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(cargo --version)"
