#!/usr/bin/env python3
"""Times the official JD Cloud Python SDK's signer on the attachNetworkInterface request.

Issue 6 wants our `sign/jdcloud3` (benches/signing.rs) at least 20x faster than this. The request
is the JDCLOUD3 vector of tests/data/attach.json without a security token, the one the Rust bench
signs: same method, URL, headers, body, date and nonce. Before timing, the script checks that the
SDK produces that vector's exact Authorization, so it is known to time the same work.

    pip install jdcloud-sdk
    python3 scripts/python_signer_bench.py

Prints the median time per call, one line: `python_sdk_sign_us: X`.
"""

import json
import os
import statistics
import sys
import timeit

try:
    from jdcloud_sdk.core.credential import Credential
    from jdcloud_sdk.core.logger import ERROR, Logger
    from jdcloud_sdk.core.signer import Signer
except ImportError:
    sys.exit(
        "the official JD Cloud Python SDK is not installed: run `pip install jdcloud-sdk` "
        "(or `python3 -m pip install jdcloud-sdk`), then run this script again"
    )

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "tests", "data", "attach.json")

# Calls per timing and timings taken: enough for a stable median within a few seconds.
NUMBER = 2000
REPEAT = 25


def attach_vector():
    with open(VECTORS, encoding="utf-8") as f:
        vectors = json.load(f)
    for v in vectors:
        if v["algorithm"] == "JDCLOUD3" and len(v["headers"]) == 4:
            return v
    sys.exit(f"{VECTORS}: no JDCLOUD3 vector without a security token")


def main():
    v = attach_vector()
    # The SDK adds `host` itself, from the URL; the others are passed as the client passes them.
    host = dict(v["headers"])["host"]
    headers = {name: value for name, value in v["headers"] if name != "host"}
    url = "https://" + host + v["path"] + ("?" + v["query"] if v["query"] else "")
    credential = Credential(v["access_key"], v["secret_key"])
    # The SDK's default logger prints the canonical request on every call; a quiet logger keeps
    # terminal output out of the measurement, which is the most favourable case for the SDK.
    signer = Signer(Logger(ERROR))

    def sign_once():
        # Signer.sign writes the Authorization (and more) into the dict it is given, and would
        # sign those on a second call: each call gets a fresh copy, as each real request does.
        h = dict(headers)
        signer.sign(v["method"], v["service"], v["region"], url, h, v["body"], credential, None)
        return h

    got = sign_once()["Authorization"]
    if got != v["expected_authorization"]:
        sys.exit(f"the SDK's signature differs from the vector:\n  {got}\n  {v['expected_authorization']}")

    timings = timeit.Timer(sign_once).repeat(repeat=REPEAT, number=NUMBER)
    per_call_us = [t / NUMBER * 1e6 for t in timings]
    print(f"python_sdk_sign_us: {statistics.median(per_call_us):.2f}")


if __name__ == "__main__":
    main()
