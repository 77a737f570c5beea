#!/usr/bin/env python3
"""The official JD Cloud Python SDK against the jdcloud-vm emulator.

Usage: python_sdk_smoke.py ENDPOINT   (e.g. http://127.0.0.1:40123)

Run by scripts/python_sdk_smoke.sh, which starts the emulator with the state this script
expects (26 instances in cn-north-1: i-smoke-1 with its primary interface port-smoke-p1,
i-smoke-2 in another AZ, i-page-00 to i-page-23; free interfaces port-smoke-1, port-smoke-2)
and a short task duration. It shows that a client we did not write is accepted by the
emulator's gateway (the Python SDK signs with JDCLOUD3 over content-type and host only, and
sends the date and nonce unsigned; on GET it signs the query it builds) and gets the
documented answers: an attach, describeInstance showing it once the task ends,
describeInstances with filters and paging, a detach, and documented refusals.
Exits non-zero on the first unexpected answer.
"""

import re
import sys
import time
from urllib.parse import urlsplit

from jdcloud_sdk.core.config import Config
from jdcloud_sdk.core.credential import Credential
from jdcloud_sdk.core.logger import ERROR, Logger
from jdcloud_sdk.services.common.models.Filter import Filter
from jdcloud_sdk.services.vm.apis.AttachNetworkInterfaceRequest import (
    AttachNetworkInterfaceParameters,
    AttachNetworkInterfaceRequest,
)
from jdcloud_sdk.services.vm.apis.DescribeInstanceRequest import (
    DescribeInstanceParameters,
    DescribeInstanceRequest,
)
from jdcloud_sdk.services.vm.apis.DescribeInstancesRequest import (
    DescribeInstancesParameters,
    DescribeInstancesRequest,
)
from jdcloud_sdk.services.vm.apis.DetachNetworkInterfaceRequest import (
    DetachNetworkInterfaceParameters,
    DetachNetworkInterfaceRequest,
)
from jdcloud_sdk.services.vm.client.VmClient import VmClient

REGION = "cn-north-1"
REQUEST_ID = re.compile(r"^[a-z0-9]{32}$")
# All the instances of the state, in its order.
INSTANCES = ["i-smoke-1", "i-smoke-2"] + ["i-page-%02d" % n for n in range(24)]


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


def detach(vm, instance_id, interface_id):
    parameters = DetachNetworkInterfaceParameters(REGION, instance_id, interface_id)
    return vm.send(DetachNetworkInterfaceRequest(parameters))


def describe(vm, instance_id):
    resp = vm.send(DescribeInstanceRequest(DescribeInstanceParameters(REGION, instance_id)))
    require(resp.error is None, "describeInstance %s (error: %r)"
            % (instance_id, resp.error and resp.error.message))
    return resp.result["instance"]


def describe_instances(vm, filters=None, page_number=None, page_size=None):
    parameters = DescribeInstancesParameters(REGION)
    if filters is not None:
        parameters.setFilters(filters)
    if page_number is not None:
        parameters.setPageNumber(page_number)
    if page_size is not None:
        parameters.setPageSize(page_size)
    return vm.send(DescribeInstancesRequest(parameters))


def listed(vm, **kwargs):
    """The instance ids of a describeInstances page, and totalCount."""
    resp = describe_instances(vm, **kwargs)
    require(resp.error is None, "describeInstances (error: %r)"
            % (resp.error and resp.error.message))
    return [i["instanceId"] for i in resp.result["instances"]], resp.result["totalCount"]


def secondaries(instance):
    return [a["networkInterface"]["networkInterfaceId"]
            for a in instance.get("secondaryNetworkInterfaces", [])]


def wait_for(vm, instance_id, done, what, timeout=5.0):
    """Polls describeInstance until done(instance); the seconds it took."""
    started = time.monotonic()
    while not done(describe(vm, instance_id)):
        if time.monotonic() - started > timeout:
            check(False, "%s within %.0f s" % (what, timeout))
        time.sleep(0.05)
    return time.monotonic() - started


def require(condition, what):
    """Like check, silent when it holds."""
    if not condition:
        check(condition, what)


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

    # The attach shows in describeInstance once its task has ended.
    seconds = wait_for(vm, "i-smoke-1", lambda i: "port-smoke-1" in secondaries(i),
                       "describeInstance shows port-smoke-1 on i-smoke-1")
    check(True, "describeInstance shows port-smoke-1 on i-smoke-1 after %.2f s" % seconds)
    instance = describe(vm, "i-smoke-1")
    primary = instance["primaryNetworkInterface"]
    check(primary["networkInterface"]["networkInterfaceId"] == "port-smoke-p1"
          and primary["deviceIndex"] == 1,
          "the primary interface is port-smoke-p1, device 1: %r" % primary)
    second = instance["secondaryNetworkInterfaces"][0]
    check(second["deviceIndex"] == 2 and second["networkInterface"]["vpcId"] == "vpc-smoke"
          and second["networkInterface"]["macAddress"].startswith("fa:16:3e:"),
          "the secondary is device 2 with a MAC, in vpc-smoke: %r" % second)

    # describeInstances: the interface finds its instance; two filters; paging.
    ids, total = listed(vm, filters=[Filter("networkInterfaceId", ["port-smoke-1"])])
    check((ids, total) == (["i-smoke-1"], 1),
          "filter networkInterfaceId=port-smoke-1 finds i-smoke-1: %r, %r" % (ids, total))
    ids, total = listed(vm, filters=[
        Filter("instanceId", ["i-smoke-1", "i-smoke-2", "i-page-00"]),
        Filter("az", ["cn-north-1b"], operator="eq"),
    ])
    check((ids, total) == (["i-smoke-2"], 1),
          "filters instanceId in (3 ids) and az=cn-north-1b: %r, %r" % (ids, total))
    seen = []
    for page, expected in [(1, 10), (2, 10), (3, 6), (4, 0)]:
        ids, total = listed(vm, page_number=page, page_size=10)
        check(total == 26 and len(ids) == expected,
              "page %d of 10: %d instances, totalCount %d" % (page, len(ids), total))
        seen += ids
    check(seen == INSTANCES, "the pages hold every instance once, in the state's order")
    ids, total = listed(vm)
    check((len(ids), total) == (20, 26), "the default page size is 20: %d of %d" % (len(ids), total))
    expect_error(
        describe_instances(vm, page_size=5),
        400, "OUT_OF_RANGE", "PageSize out of range",
        "pageSize 5",
    )

    # Detach: not the primary; the secondary, gone once its task has ended.
    expect_error(
        detach(vm, "i-smoke-1", "port-smoke-p1"),
        400, "FAILED_PRECONDITION", "Can't detach primaryNetworkInterface",
        "a detach of the primary interface",
    )
    gone = detach(vm, "i-smoke-1", "port-smoke-1")
    check(gone.error is None, "detach port-smoke-1 from i-smoke-1 succeeds (error: %r)"
          % (gone.error and gone.error.message))
    busy = detach(vm, "i-smoke-1", "port-smoke-1")
    check(busy.error is not None and busy.error.message.startswith("Conflict with underlay task "),
          "a second detach meets the first one's task: %r" % (busy.error and busy.error.message))
    seconds = wait_for(vm, "i-smoke-1", lambda i: "secondaryNetworkInterfaces" not in i,
                       "describeInstance shows no secondary interface on i-smoke-1")
    check(True, "describeInstance shows no secondaryNetworkInterfaces key after %.2f s" % seconds)
    ids, total = listed(vm, filters=[Filter("networkInterfaceId", ["port-smoke-1"])])
    check(total == 0, "filter networkInterfaceId=port-smoke-1 finds nothing: %r" % ids)
    again = attach(vm, "i-smoke-2", "port-smoke-1")
    check(again.error is None, "the detached port-smoke-1 attaches to i-smoke-2 (error: %r)"
          % (again.error and again.error.message))

    print("python sdk smoke: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
