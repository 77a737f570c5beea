#!/usr/bin/env bash
# What adding the SDK costs a user in build time, against what they would write instead.
#
#   (a) a program depending on jdcloud-vm (by path, a copy of this working tree) with its
#       default features, and tokio to run it;
#   (b) the hand-written equivalent: reqwest with its default features, tokio, serde,
#       serde_json, hmac, sha2, uuid, base64, at the version requirements of this crate's
#       Cargo.toml, signing and sending one call by hand (the bar: a/b within 1.35x);
#   (c) for scale, (b) with the types of the whole API as a hand-written client of the 63
#       operations would carry them: the generated `types` module of (a)'s first build without
#       its builders (structs and enums with serde derives, the validating newtypes and their
#       regress patterns), compiled into (b)'s program.
#
# Each is a tiny generated crate whose main.rs uses its dependencies (so they are compiled, not
# only checked), built with `cargo build` (debug) in a fresh target directory, taking turns
# (a, b, c, a, b, c); the best of two per side is printed, and the ratios a/b and a/c. Both start from this
# crate's Cargo.lock, so the crates they share resolve to the same versions, and share the same
# CARGO_HOME (the registry is fetched once, then builds run offline). Then the rebuild of (a)
# after an edit of the spec (a comment appended to spec/vm.yaml in the copy: the real spec is
# never touched).
#
# The machine's load is printed before and after: on a shared machine the figures move with it.
#
#   bash scripts/build_cost.sh            # KEEP=1 keeps the temporary directory
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/jdcloud-vm-build-cost.XXXXXX")
if [[ "${KEEP:-0}" == 1 ]]; then
    echo "keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi
export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
# A fresh build means no compiler cache and no shared target directory.
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER

# The copy of the crate that (a) depends on, without build output or history.
mkdir -p "$work/repo"
tar -C "$root" --exclude=./target --exclude=./tests/consumer/target --exclude=./fuzz/target \
    --exclude=./.git -cf - . | tar -C "$work/repo" -xf -

# This crate's version requirements, so (b) is what a user of the same crates would write.
req() {
    python3 - "$root/Cargo.toml" "$1" <<'EOF'
import sys, tomllib
dep = tomllib.load(open(sys.argv[1], "rb"))["dependencies"][sys.argv[2]]
print(dep if isinstance(dep, str) else dep["version"])
EOF
}

mkdir -p "$work/a/src" "$work/b/src" "$work/c/src"
cat > "$work/a/Cargo.toml" <<EOF
[package]
name = "cost-a-sdk"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
jdcloud-vm = { path = "$work/repo" }
tokio = { version = "$(req tokio)", features = ["macros", "rt-multi-thread"] }

[workspace]
EOF
cat > "$work/a/src/main.rs" <<'EOF'
use jdcloud_vm::{Client, Credentials};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::builder()
        .credentials(Credentials::new("AKEXAMPLE", "SKEXAMPLE"))
        .endpoint("http://127.0.0.1:9")
        .build()?;
    // Sent only when asked, but compiled either way.
    if std::env::args().count() > 1 {
        let answer = client
            .attach_network_interface()
            .region_id("cn-north-1")
            .instance_id("i-example01")
            .body_map(|b| b.network_interface_id("port-example1").auto_delete(false))
            .send()
            .await?;
        println!("{}", answer.into_inner().request_id);
    }
    Ok(())
}
EOF

cat > "$work/b/Cargo.toml" <<EOF
[package]
name = "cost-b-hand-written"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
reqwest = { version = "$(req reqwest)", features = ["json"] }
tokio = { version = "$(req tokio)", features = ["macros", "rt-multi-thread", "time"] }
serde = { version = "$(req serde)", features = ["derive"] }
serde_json = "$(req serde_json)"
hmac = "$(req hmac)"
sha2 = "$(req sha2)"
uuid = { version = "$(req uuid)", features = ["v4"] }
base64 = "$(req base64)"

[workspace]
EOF
cat > "$work/b/src/main.rs" <<'EOF'
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Attach {
    network_interface_id: String,
    auto_delete: Option<bool>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    request_id: String,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let body = serde_json::to_vec(&Attach {
        network_interface_id: "port-example1".into(),
        auto_delete: Some(false),
    })?;
    let nonce = uuid::Uuid::new_v4().to_string();
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs().to_string();
    let payload: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    // A stand-in for JD Cloud's key derivation and canonical request: the same primitives.
    let key = hmac(b"JDCLOUD2SKEXAMPLE", now.as_bytes());
    let signature = hmac(&key, format!("{nonce}\n{payload}").as_bytes());
    let authorization = base64::engine::general_purpose::STANDARD.encode(signature);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    // Sent only when asked, but compiled either way.
    if std::env::args().count() > 1 {
        let answer: Answer = http
            .post("http://127.0.0.1:9/v1/regions/cn-north-1/instances/i-example01:attachNetworkInterface")
            .header("authorization", authorization)
            .header("x-jdcloud-nonce", nonce)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        println!("{}", answer.request_id);
    }
    Ok(())
}
EOF

# (c): (b)'s program and dependencies, regress (the patterns' checks), and src/types.rs, written
# from (a)'s generated code after its first build (extract_types).
sed -e 's/^name = "cost-b-hand-written"/name = "cost-c-hand-written-types"/' \
    -e "s/^base64 = .*/&\nregress = \"$(req regress)\"/" "$work/b/Cargo.toml" > "$work/c/Cargo.toml"
{
    printf '#[allow(dead_code, clippy::all)]\nmod types;\n'
    sed 's/let answer: Answer = http/let answer: types::AttachNetworkInterfaceResponse = http/' \
        "$work/b/src/main.rs"
} > "$work/c/src/main.rs"
extract_types() {
    python3 - "$(ls "$1"/debug/build/jdcloud-vm-*/out/vm.rs | head -n 1)" <<'PY' > "$work/c/src/types.rs"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
start = lines.index("pub mod types {")
end = lines.index("}", start)
body = lines[start + 1:end]
# Without `mod builder` (indented 4, closed by the first line of 4 spaces and a brace).
b = body.index("    pub mod builder {")
body = body[:b] + body[body.index("    }", b) + 1:]
text = "\n".join(body)
text = re.sub(r"\n    impl (\w+) \{\n        pub fn builder\(\) -> builder::\w+ \{\n"
              r"            Default::default\(\)\n        \}\n    \}", "", text)
print(text)
PY
}

for side in a b c; do
    cp "$root/Cargo.lock" "$work/$side/Cargo.lock"
    cargo fetch --quiet --manifest-path "$work/$side/Cargo.toml"
done

TIMEFORMAT='%R %U %S'
# build SIDE TARGET_DIR: sets W (wall) and C (CPU: user + sys of cargo and rustc), in seconds.
build() {
    if ! { time cargo build --quiet --frozen --manifest-path "$work/$1/Cargo.toml" \
        --target-dir "$2" >/dev/null 2>"$work/build.log"; } 2>"$work/time"; then
        cat "$work/build.log" >&2
        exit 1
    fi
    read -r W C < <(awk '{ printf "%.1f %.1f\n", $1, $2 + $3 }' "$work/time")
}

echo "load before: $(uptime)"
declare -A wall cpu
for round in 1 2; do
    for side in a b c; do
        build "$side" "$work/target-$side-$round"
        if [[ "$side-$round" == a-1 ]]; then extract_types "$work/target-a-1"; fi
        wall[$side-$round]=$W
        cpu[$side-$round]=$C
        echo "round $round ($side): $W s wall, $C s CPU   [load average when done: $(cut -d' ' -f1-3 /proc/loadavg)]"
        # Keep the last build of (a) for the spec-edit rebuild; free the disk of the others.
        if [[ "$side-$round" != a-2 ]]; then rm -rf "$work/target-$side-$round"; fi
    done
done

best() { printf '%s\n' "$@" | sort -g | head -n 1; }
aw=$(best "${wall[a-1]}" "${wall[a-2]}"); ac=$(best "${cpu[a-1]}" "${cpu[a-2]}")
bw=$(best "${wall[b-1]}" "${wall[b-2]}"); bc=$(best "${cpu[b-1]}" "${cpu[b-2]}")
cw=$(best "${wall[c-1]}" "${wall[c-2]}"); cc=$(best "${cpu[c-1]}" "${cpu[c-2]}")

printf '\n# A change of the spec: a comment appended (in the copy).\n' >> "$work/repo/spec/vm.yaml"
build a "$work/target-a-2"
rw=$W rc=$C

echo
echo "clean debug build, best of two (wall and CPU each):"
echo "  (a) jdcloud-vm, default features:        ${aw} s wall, ${ac} s CPU"
echo "  (b) hand-written (reqwest defaults, ...): ${bw} s wall, ${bc} s CPU"
awk -v aw="$aw" -v bw="$bw" -v ac="$ac" -v bc="$bc" \
    'BEGIN { printf "  ratio a/b: %.2fx wall, %.2fx CPU (target: within 1.35x)\n", aw / bw, ac / bc }'
echo "  (c) (b) with the whole API's types:      ${cw} s wall, ${cc} s CPU"
awk -v aw="$aw" -v cw="$cw" -v ac="$ac" -v cc="$cc" \
    'BEGIN { printf "  ratio a/c: %.2fx wall, %.2fx CPU\n", aw / cw, ac / cc }'
echo "rebuild of (a) after editing the spec: ${rw} s wall, ${rc} s CPU"
echo "load after: $(uptime)"
