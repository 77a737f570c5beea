#!/usr/bin/env python3
"""The official JD Cloud Python SDK against the jdcloud-vm emulator.

Usage: python_sdk_smoke.py ENDPOINT   (e.g. http://127.0.0.1:40123)

Run by scripts/python_sdk_smoke.sh, which starts the emulator with the state this script
expects. It shows that a client we did not write is accepted by the emulator's gateway (the
Python SDK signs with JDCLOUD3 over content-type and host only, and sends the date and nonce
unsigned) and gets the documented answers: a successful attach, then documented refusals.
Exits non-zero on the first unexpected answer.
"""

import re
import sys
from urllib.parse import urlsplit

from jdcloud_sdk.core.config import Config
from jdcloud_sdk.core.credential import Credential
from jdcloud_sdk.core.logger import ERROR, Logger
from jdcloud_sdk.services.vm.apis.AttachNetworkInterfaceRequest import (
    AttachNetworkInterfaceParameters,
    AttachNetworkInterfaceRequest,
)
from jdcloud_sdk.services.vm.client.VmClient import VmClient

REGION = "cn-north-1"
REQUEST_ID = re.compile(r"^[a-z0-9]{32}$")


def client(endpoint, access_key="AKPYTHONSMOKE", secret_key="SKPYTHONSMOKE"):
    parts = urlsplit(endpoint)
    # The SDK's default logger prints every request, headers and signature included.
    return VmClient(
        Credential(access_key, secret_key),
        Config(parts.netloc, scheme=parts.scheme, timeout=10),
        Logger(ERROR),
    )


def attach(vm, instance_id, interface_id):
    parameters = AttachNetworkInterfaceParameters(REGION, instance_id, interface_id)
    return vm.send(AttachNetworkInterfaceRequest(parameters))


def check(condition, what):
    if not condition:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def expect_error(resp, code, status, message, what):
    error = resp.error
    check(error is not None, what + ": refused")
    got = (error.code, error.status, error.message)
    check(got == (code, status, message), "%s: %r == %r" % (what, got, (code, status, message)))
    check(bool(REQUEST_ID.match(resp.request_id or "")), what + ": request id %r" % resp.request_id)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    vm = client(sys.argv[1])

    first = attach(vm, "i-smoke-1", "port-smoke-1")
    check(first.error is None, "attach port-smoke-1 to i-smoke-1 succeeds (error: %r)"
          % (first.error and first.error.message))
    check(bool(REQUEST_ID.match(first.request_id or "")), "request id %r" % first.request_id)

    expect_error(
        attach(vm, "i-smoke-2", "port-smoke-1"),
        400, "FAILED_PRECONDITION", "NetworkInterface has been attached on other device",
        "a second attach of port-smoke-1",
    )
    expect_error(
        attach(vm, "i-missing", "port-smoke-2"),
        404, "NOT_FOUND", "Instance 'i-missing' not found.",
        "an attach to an unknown instance",
    )
    expect_error(
        attach(client(sys.argv[1], secret_key="not-the-secret"), "i-smoke-2", "port-smoke-2"),
        401, "ACCESS_ERROR", "sign result is not same [gw]",
        "a request signed with the wrong secret key",
    )
    print("python sdk smoke: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
