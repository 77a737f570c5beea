#!/usr/bin/env python3
"""The official JD Cloud Python SDK through a broad lifecycle, against the jdcloud-vm emulator
started with no state (its default world: access key AKEMULATOR, region cn-north-1, subnet
subnet-default, public images, disks vol-default-1/2, elastic IP fip-default-1, interface
port-default-1).

Usage: python_sdk_lifecycle.py ENDPOINT   (e.g. http://127.0.0.1:40123)

Creates two instances with a client token, twice (the second call creates nothing and answers
the same ids), waits for them to run, stops one, resizes it, starts it, reboots it, attaches
and detaches a disk, creates and imports keypairs and attaches one, associates and
disassociates the elastic IP, attaches and detaches the interface, makes an image of an
instance and waits for it, and deletes everything, with documented refusals on the way.
Exits non-zero on the first unexpected answer.
"""

import base64
import struct
import sys
import time
import uuid
from urllib.parse import urlsplit

from jdcloud_sdk.core.config import Config
from jdcloud_sdk.core.credential import Credential
from jdcloud_sdk.core.logger import ERROR, Logger
from jdcloud_sdk.services.common.models.Filter import Filter
from jdcloud_sdk.services.vm.apis import (
    AssociateElasticIpRequest as AssociateEip,
    AttachDiskRequest as AttachDisk,
    AttachKeypairRequest as AttachKeypair,
    AttachNetworkInterfaceRequest as AttachNic,
    CreateImageRequest as CreateImage,
    CreateInstancesRequest as CreateInstances,
    CreateKeypairRequest as CreateKeypair,
    DeleteImageRequest as DeleteImage,
    DeleteInstanceRequest as DeleteInstance,
    DeleteKeypairRequest as DeleteKeypair,
    DescribeImageRequest as DescribeImage,
    DescribeImagesRequest as DescribeImages,
    DescribeInstanceRequest as DescribeInstance,
    DescribeInstancesRequest as DescribeInstances,
    DescribeInstanceTypesRequest as DescribeInstanceTypes,
    DescribeKeypairsRequest as DescribeKeypairs,
    DescribeQuotasRequest as DescribeQuotas,
    DetachDiskRequest as DetachDisk,
    DetachKeypairRequest as DetachKeypair,
    DetachNetworkInterfaceRequest as DetachNic,
    DisassociateElasticIpRequest as DisassociateEip,
    ImportKeypairRequest as ImportKeypair,
    RebootInstanceRequest as RebootInstance,
    ResizeInstanceRequest as ResizeInstance,
    StartInstanceRequest as StartInstance,
    StopInstanceRequest as StopInstance,
)
from jdcloud_sdk.services.vm.client.VmClient import VmClient
from jdcloud_sdk.services.vm.models.InstanceNetworkInterfaceAttachmentSpec import (
    InstanceNetworkInterfaceAttachmentSpec,
)
from jdcloud_sdk.services.vm.models.InstanceSpec import InstanceSpec
from jdcloud_sdk.services.vm.models.NetworkInterfaceSpec import NetworkInterfaceSpec

REGION = "cn-north-1"


def require(condition, what):
    if not condition:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def call(vm, module, *args, **setters):
    """Sends `module`'s request built from its Parameters(REGION, *args) and setters."""
    name = module.__name__.rsplit(".", 1)[-1][: -len("Request")]
    parameters = getattr(module, name + "Parameters")(REGION, *args)
    for setter, value in setters.items():
        getattr(parameters, "set" + setter[0].upper() + setter[1:])(value)
    return vm.send(getattr(module, name + "Request")(parameters))


def ok(resp, what):
    require(resp.error is None, "%s (error: %r)" % (what, resp.error and (resp.error.status, resp.error.message)))
    return resp.result


def refused(resp, status, message, what):
    got = resp.error and (resp.error.status, resp.error.message)
    require(got == (status, message), "%s refused with %s %r (got %r)" % (what, status, message, got))


def status_of(vm, instance_id):
    resp = call(vm, DescribeInstance, instance_id)
    if resp.error is not None and resp.error.status == "NOT_FOUND":
        return None
    return ok(resp, "describeInstance %s" % instance_id)["instance"]["status"]


def wait_status(vm, instance_id, wanted, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if status_of(vm, instance_id) == wanted:
            return
        time.sleep(0.1)
    require(False, "%s reached %s" % (instance_id, wanted))


def retry_busy(send, what, timeout=20):
    """Sends until the instance's task is over (JD Cloud's `Conflict with underlay task`)."""
    deadline = time.time() + timeout
    while True:
        resp = send()
        if resp.error is None or not resp.error.message.startswith("Conflict with underlay task") or time.time() > deadline:
            return ok(resp, what)
        time.sleep(0.1)


def public_key():
    blob = struct.pack(">I", 7) + b"ssh-rsa" + struct.pack(">I", 3) + b"\x01\x00\x01" + struct.pack(">I", 4) + b"\x00\xc3\xa1\x01"
    return "ssh-rsa " + base64.b64encode(blob).decode() + " smoke@python"


def main(endpoint):
    parts = urlsplit(endpoint)
    vm = VmClient(Credential("AKEMULATOR", "SKEMULATOR"), Config(parts.netloc, scheme=parts.scheme, timeout=10), Logger(ERROR))

    images = ok(call(vm, DescribeImages, imageSource="public"), "describeImages public")["images"]
    linux = [i for i in images if i["osType"] == "linux"][0]["imageId"]
    require(any(i["osType"] == "windows" for i in images), "a public Windows image")
    types = ok(call(vm, DescribeInstanceTypes), "describeInstanceTypes")["instanceTypes"]
    require(len(types) >= 3 and all("nicLimit" in t for t in types), "instance types with their limits")
    quotas = ok(call(vm, DescribeQuotas), "describeQuotas")["quotas"]
    require(any(q["resourceType"] == "instance" for q in quotas), "an instance quota")

    # Keypairs: created (with its private key), imported (checked), refused twice.
    created = ok(call(vm, CreateKeypair, "smoke-key"), "createKeypair")
    require(created["privateKey"].startswith("-----BEGIN RSA PRIVATE KEY-----"), "createKeypair returns a private key")
    refused(call(vm, CreateKeypair, "smoke-key"), "FAILED_PRECONDITION", "KeyName 'smoke-key' already in use", "a second smoke-key")
    ok(call(vm, ImportKeypair, "smoke-imported", public_key()), "importKeypair")
    refused(call(vm, ImportKeypair, "smoke-bad", "ssh-rsa notbase64!"), "FAILED_PRECONDITION", "Malformed PublicKey smoke-bad", "a malformed public key")

    # Two instances, with a client token, twice: the second call creates none.
    nic = InstanceNetworkInterfaceAttachmentSpec(networkInterface=NetworkInterfaceSpec("subnet-default", securityGroups=["sg-default"]))
    spec = InstanceSpec("smoke", az="cn-north-1a", instanceType="g.n2.medium", imageId=linux, primaryNetworkInterface=nic, keyNames=["smoke-key"])
    token = str(uuid.uuid4())
    first = ok(call(vm, CreateInstances, spec, maxCount=2, clientToken=token), "createInstances with a token")["instanceIds"]
    again = ok(call(vm, CreateInstances, spec, maxCount=2, clientToken=token), "createInstances again, same token")["instanceIds"]
    require(len(first) == 2 and first == again, "the same token gives the same instances")
    listed = ok(call(vm, DescribeInstances, filters=[Filter("name", ["smoke"])]), "describeInstances by name")
    require(listed["totalCount"] == 2, "two instances, not four")
    a, b = first
    require(status_of(vm, a) == "pending", "a new instance is pending")
    resp = call(vm, StopInstance, a)
    require(resp.error is not None and resp.error.message.startswith("Conflict with underlay task"), "a pending instance is busy")
    wait_status(vm, a, "running")
    wait_status(vm, b, "running")

    # Stop, resize (stopped only), start, reboot.
    refused(call(vm, ResizeInstance, a, "g.n2.large"), "FAILED_PRECONDITION", "Please stop the instance first.", "resize while running")
    ok(call(vm, StopInstance, a), "stopInstance")
    wait_status(vm, a, "stopped")
    retry_busy(lambda: call(vm, ResizeInstance, a, "g.n2.large"), "resizeInstance")
    retry_busy(lambda: call(vm, StartInstance, a), "startInstance")
    wait_status(vm, a, "running")
    require(ok(call(vm, DescribeInstance, a), "describeInstance")["instance"]["instanceType"] == "g.n2.large", "resized to g.n2.large")
    retry_busy(lambda: call(vm, RebootInstance, a), "rebootInstance")
    wait_status(vm, a, "running")

    # A disk, attached then detached.
    retry_busy(lambda: call(vm, AttachDisk, a, "vol-default-1", autoDelete=False), "attachDisk")
    deadline = time.time() + 20
    while time.time() < deadline:
        disks = ok(call(vm, DescribeInstance, a), "describeInstance")["instance"].get("dataDisks", [])
        if any(d["cloudDisk"]["diskId"] == "vol-default-1" and d["status"] == "attached" for d in disks):
            break
        time.sleep(0.1)
    require(time.time() < deadline, "vol-default-1 attached")
    refused(call(vm, AttachDisk, b, "vol-default-1"), "FAILED_PRECONDITION", "Disk 'vol-default-1' already attached", "the same disk on another instance")
    retry_busy(lambda: call(vm, DetachDisk, a, "vol-default-1"), "detachDisk")

    # The imported keypair on the other instance.
    refused(call(vm, AttachKeypair, "smoke-imported", [a], "yes"), "FAILED_PRECONDITION",
            "Already attached key pair. instance id %s" % a, "a second keypair on an instance")
    ok(call(vm, DetachKeypair, "smoke-key", [b]), "detachKeypair")
    ok(call(vm, AttachKeypair, "smoke-imported", [b], "yes"), "attachKeypair")
    keypairs = ok(call(vm, DescribeKeypairs), "describeKeypairs")["keypairs"]
    require(sorted(k["keyName"] for k in keypairs) == ["smoke-imported", "smoke-key"], "both keypairs listed")

    # The elastic IP, then the interface.
    ok(call(vm, AssociateEip, a, "fip-default-1"), "associateElasticIp")
    refused(call(vm, AssociateEip, b, "fip-default-1"), "FAILED_PRECONDITION", "ElasticIp fip-default-1 already in use", "the same elastic IP twice")
    require(ok(call(vm, DescribeInstance, a), "describeInstance")["instance"].get("elasticIpId") == "fip-default-1", "the elastic IP shows")
    ok(call(vm, DisassociateEip, a, "fip-default-1"), "disassociateElasticIp")
    retry_busy(lambda: call(vm, AttachNic, a, "port-default-1"), "attachNetworkInterface")
    retry_busy(lambda: call(vm, DetachNic, a, "port-default-1"), "detachNetworkInterface")

    # An image of an instance: pending, then ready.
    image = retry_busy(lambda: call(vm, CreateImage, b, "smoke-image"), "createImage")["imageId"]
    require(ok(call(vm, DescribeImage, image), "describeImage")["image"]["status"] == "pending", "a new image is pending")
    deadline = time.time() + 20
    while ok(call(vm, DescribeImage, image), "describeImage")["image"]["status"] != "ready" and time.time() < deadline:
        time.sleep(0.1)
    require(time.time() < deadline, "the image is ready")
    ok(call(vm, DeleteImage, image), "deleteImage")
    refused(call(vm, DescribeImage, image), "NOT_FOUND", "Image '%s' not found" % image, "a deleted image")

    # Delete: 404 once the task ends.
    for instance in (a, b):
        retry_busy(lambda: call(vm, DeleteInstance, instance), "deleteInstance %s" % instance)
    for instance in (a, b):
        deadline = time.time() + 20
        while status_of(vm, instance) is not None and time.time() < deadline:
            time.sleep(0.1)
        require(status_of(vm, instance) is None, "%s is gone" % instance)
    refused(call(vm, DescribeInstance, a), "NOT_FOUND", "Instance '%s' not found." % a, "a deleted instance")
    for key in ("smoke-key", "smoke-imported"):
        ok(call(vm, DeleteKeypair, key), "deleteKeypair %s" % key)
    print("the official Python SDK's lifecycle against the emulator: all good")


if __name__ == "__main__":
    main(sys.argv[1])
