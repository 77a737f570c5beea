#!/usr/bin/env python3
"""One request per operation of spec/vm.yaml, with sample values derived from the spec, sent
through the official JD Cloud Python SDK (pip package jdcloud-sdk, 1.6.354) to a capturing server.

The Rust half is tests/differential.rs: it runs this script, sends the same operations with the
same values through jdcloud-vm, and compares the two captures request by request.

Usage:
  python_sdk_differential.py --spec spec/vm.yaml --out FILE [--endpoint http://127.0.0.1:PORT]
  python_sdk_differential.py --spec spec/vm.yaml --rust-draft [--required] [OPERATION...]

--out writes, for every operation (in the spec's order): its method and path template, where each
parameter goes (`in`), three sets of values by the spec's names: `values`, one for every parameter
and body field (nested types included: every property of every object, lists of two items);
`required`, the required ones only (nested types with their required properties only, lists of
one); `sparse`, every parameter and field but nested types with their required properties only
(what an SDK adds on its own inside an object shows); the idempotency token's name, if any; and a
minimal answer valid for the operation's 200 schema (`answer`: its required fields only, for the
Rust client to decode). And, from the overlay's `sdk_differences`, the operations the official SDK
does not have (`what: extra` at an operation), with their reasons (`notInTheOfficialSdk`).

With --endpoint it also sends each operation, once per set of values, through the official SDK:
`<Op>Parameters` with the required parameters in its constructor and the others through their
`setX`; a nested type as an instance of the SDK's model class of that name when it takes the fields
given, else as a dict, which the SDK serialises alike (through `__dict__`), and a note saying why.
One request after the other, no retries (the SDK's client has none), each with an
`x-differential-operation` header naming the operation and the set of values (the capture server's
only way to tell them apart; headers are not compared). Under `python`, per set: what the SDK
raised, if anything, and the notes (a parameter the SDK has no setter for is set as an attribute,
which the SDK serialises alike, and noted).

--rust-draft prints, for the operations named (all when none), a draft of the call block
tests/differential.rs needs for each (with --required, of its block with the required setters
only): the maintainer's starting point when the spec grows.

Values satisfy the spec's constraints: `example` when it does, else one made from the name; enum:
the first value (arrays of enums: the first two); integers within minimum/maximum, picked by the
name's CRC and, when the range allows, not the default (a value equal to the default would hide a
setter that drops it); strings within minLength/maxLength and matching `pattern` (checked with
Python's `re`), with a space, `/`, `+` and `é` when they may; booleans true. A value that cannot
be made is an error naming the field, never a guess.
"""

import argparse
import importlib
import inspect
import json
import os
import re
import sys
import zlib

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


class Spec:
    def __init__(self, doc):
        self.doc = doc
        self.schemas = doc.get("components", {}).get("schemas", {})
        self.parameters = doc.get("components", {}).get("parameters", {})

    def resolve(self, node):
        """Follows `$ref`s; returns (schema, name of the last component followed or None)."""
        name = None
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            prefix = "#/components/schemas/"
            if ref.startswith(prefix):
                name = ref[len(prefix):]
                node = self.schemas[name]
            elif ref.startswith("#/components/parameters/"):
                node = self.parameters[ref[len("#/components/parameters/"):]]
            else:
                raise SystemExit("unsupported $ref %r" % ref)
            seen += 1
            if seen > 50:
                raise SystemExit("$ref loop at %r" % ref)
        return node, name

    def operations(self):
        """(operationId, METHOD, path template, path item, operation), in the spec's order."""
        for path, item in (self.doc.get("paths") or {}).items():
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is not None:
                    yield op["operationId"], method.upper(), path, item, op

    def op_parameters(self, item, op):
        """Path and query parameters, resolved, the operation's overriding the path item's."""
        merged = {}
        for raw in list(item.get("parameters", [])) + list(op.get("parameters", [])):
            p, _ = self.resolve(raw)
            merged[(p["name"], p["in"])] = p
        return list(merged.values())

    def body_schema(self, op):
        body = op.get("requestBody")
        if not body:
            return None
        body, _ = self.resolve(body)
        media = (body.get("content") or {}).get("application/json")
        if not media or "schema" not in media:
            return None
        return media["schema"]

    def answer_schema(self, op):
        ok = (op.get("responses") or {}).get("200") or (op.get("responses") or {}).get(200)
        if not ok:
            return None
        ok, _ = self.resolve(ok)
        media = (ok.get("content") or {}).get("application/json")
        return media.get("schema") if media else None


# ------------------------------------------------------------------------------- sample values


class Unsatisfiable(Exception):
    pass


def words(name):
    """`networkInterfaceId` -> `networkinterfaceid`: letters and digits of the name, lower-case."""
    return re.sub(r"[^A-Za-z0-9]", "", name).lower() or "x"


def fits_string(schema, value):
    if not isinstance(value, str):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if len(value) < schema.get("minLength", 0):
        return False
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return False
    pattern = schema.get("pattern")
    if pattern is not None and re.search(pattern, value) is None:
        return False
    return True


def string_value(spec_schema, name, index, where):
    s = spec_schema
    if s.get("enum"):
        values = s["enum"]
        return values[min(index, len(values) - 1)]
    fmt = s.get("format")
    candidates = []
    if "example" in s and index == 0:
        candidates.append(s["example"])
    if fmt == "date-time":
        candidates.append("2026-12-%02dT08:00:00Z" % (24 + index))
    elif fmt == "date":
        candidates.append("2026-12-%02d" % (24 + index))
    base = words(name)
    suffix = str(index + 1)
    # With a pattern, ID-like values; without one, a value with what must be percent-encoded
    # in a query (a space, `/`, `+`, a non-ASCII letter), as users' names and descriptions have.
    if "pattern" in s:
        candidates += ["%s-%s" % (base, suffix), base + suffix, suffix + base, "a" + suffix]
    else:
        candidates += [
            "%s %s/+é" % (base, suffix),
            "%s %s" % (base, suffix),
            "%s-%s" % (base, suffix),
        ]
    for c in candidates:
        c = str(c)
        if "maxLength" in s and len(c) > s["maxLength"]:
            c = c[: s["maxLength"]]
        if len(c) < s.get("minLength", 0):
            c = c + "x" * (s["minLength"] - len(c))
        if fits_string(s, c):
            return c
    raise Unsatisfiable(
        "%s: no sample string satisfies %s; add a candidate to string_value()"
        % (where, {k: s[k] for k in ("pattern", "minLength", "maxLength", "format") if k in s})
    )


def integer_value(s, name, where):
    """Within the bounds, not the default, and from the name (two fields of one operation seldom
    get the same value, so a setter writing into the wrong field shows)."""
    lo = s.get("minimum")
    hi = s.get("maximum")
    if s.get("exclusiveMinimum") is True and lo is not None:
        lo += 1
    if s.get("exclusiveMaximum") is True and hi is not None:
        hi -= 1
    if s.get("enum"):
        return s["enum"][0]
    start = lo if lo is not None else 1
    if hi is not None and hi < start:
        raise Unsatisfiable("%s: empty range [%s, %s]" % (where, lo, hi))
    span = min((hi - start + 1) if hi is not None else 97, 97)
    offset = zlib.crc32(name.encode()) % span
    for step in range(span):
        c = start + (offset + step) % span
        if c != s.get("default"):
            return int(c)
    return int(start)


def number_value(s, where):
    if s.get("enum"):
        return s["enum"][0]
    lo = s.get("minimum", 0)
    hi = s.get("maximum")
    v = lo + 1.5
    if hi is not None and v > hi:
        v = lo
    return v


def sample(spec, node, name, where, index=0, required_only=False, depth=0):
    """A value for `node` (a schema or a $ref), satisfying its constraints. `required_only`:
    False (every property), "request" (the required properties of each object, one item per
    list) or "answer" (the required properties, lists as short as minItems allows)."""
    s, ref_name = spec.resolve(node)
    if depth > 12:
        raise Unsatisfiable("%s: types nest deeper than 12" % where)
    if "allOf" in s and len(s["allOf"]) == 1:
        return sample(spec, s["allOf"][0], name, where, index, required_only, depth + 1)
    kind = s.get("type")
    if kind is None and "properties" in s:
        kind = "object"
    if kind == "string":
        return string_value(s, name, index, where)
    if kind == "integer":
        return integer_value(s, name, where)
    if kind == "number":
        return number_value(s, where)
    if kind == "boolean":
        return s["enum"][0] if s.get("enum") else True
    if kind == "array":
        if required_only == "answer":
            count = s.get("minItems", 0)
        elif required_only == "request":
            count = max(min(1, s.get("maxItems", 1)), s.get("minItems", 0))
        else:
            count = max(min(2, s.get("maxItems", 2)), s.get("minItems", 0))
        return [
            sample(
                spec, s.get("items", {}), name, "%s[%d]" % (where, i), i, required_only, depth + 1
            )
            for i in range(count)
        ]
    if kind == "object":
        props = s.get("properties") or {}
        required = set(s.get("required") or [])
        out = {}
        for prop, prop_schema in props.items():
            if required_only and prop not in required:
                continue
            out[prop] = sample(
                spec, prop_schema, prop, "%s.%s" % (where, prop), index, required_only, depth + 1
            )
        if not props and s.get("additionalProperties") and not required_only:
            out["key" + str(index + 1)] = "value %d" % (index + 1)
        return out
    if required_only:
        return None
    raise Unsatisfiable("%s: no type in %s" % (where, s))


def operation_samples(spec):
    """Everything the Rust half needs, per operation, in the spec's order."""
    ops = {}
    order = []
    for op_id, method, path, item, op in spec.operations():
        params = spec.op_parameters(item, op)
        values = {}
        required = {}
        sparse = {}
        kinds = {}
        schemas = {}
        token = None
        for p in params:
            schemas[p["name"]] = p.get("schema", {})
            where = "%s.%s" % (op_id, p["name"])
            values[p["name"]] = sample(spec, p.get("schema", {}), p["name"], where)
            sparse[p["name"]] = sample(
                spec, p.get("schema", {}), p["name"], where, required_only="request"
            )
            if p.get("required") or p["in"] == "path":
                required[p["name"]] = sample(
                    spec, p.get("schema", {}), p["name"], where, required_only="request"
                )
            kinds[p["name"]] = p["in"]
            if p.get("x-jdcloud-idempotency-token"):
                token = p["name"]
        body = spec.body_schema(op)
        if body is not None:
            body_schema, _ = spec.resolve(body)
            body_required = set(body_schema.get("required") or [])
            for prop, prop_schema in (body_schema.get("properties") or {}).items():
                where = "%s.%s" % (op_id, prop)
                if prop in values:
                    raise SystemExit("%s: %s is both a parameter and a body field" % (op_id, prop))
                values[prop] = sample(spec, prop_schema, prop, where)
                schemas[prop] = prop_schema
                sparse[prop] = sample(spec, prop_schema, prop, where, required_only="request")
                if prop in body_required:
                    required[prop] = sample(spec, prop_schema, prop, where, required_only="request")
                kinds[prop] = "body"
                if spec.resolve(prop_schema)[0].get("x-jdcloud-idempotency-token") or (
                    isinstance(prop_schema, dict) and prop_schema.get("x-jdcloud-idempotency-token")
                ):
                    token = prop
        answer_schema = spec.answer_schema(op)
        answer = {"requestId": "differential"}
        if answer_schema is not None:
            answer = sample(
                spec, answer_schema, "answer", op_id + ".answer", required_only="answer"
            )
            answer["requestId"] = "differential"
        ops[op_id] = {
            "method": method,
            "path": path,
            "in": kinds,
            "values": values,
            "required": required,
            "sparse": sparse,
            "idempotencyToken": token,
            "answer": answer,
            "schemas": schemas,
            "bodySchema": spec.resolve(body)[1] if body is not None else None,
        }
        order.append(op_id)
    return ops, order


# ------------------------------------------------------------------------------- the official SDK


def upper_first(name):
    return name[0].upper() + name[1:]


def send_all(spec, ops, order, endpoint):
    """Sends every operation through the official SDK, in `order`; returns {op: record}."""
    from urllib.parse import urlsplit

    from jdcloud_sdk.core.config import Config
    from jdcloud_sdk.core.credential import Credential
    from jdcloud_sdk.core.logger import ERROR, Logger
    from jdcloud_sdk.services.vm.client.VmClient import VmClient

    url = urlsplit(endpoint)
    client = VmClient(
        Credential("AKDIFFERENTIAL", "SKDIFFERENTIAL"),
        Config(url.netloc, scheme=url.scheme, timeout=20),
        Logger(ERROR),
    )
    records = {}
    for op_id in order:
        records[op_id] = {}
        for pass_name, values_key in (
            ("full", "values"),
            ("required", "required"),
            ("sparse", "sparse"),
        ):
            record = {"notes": []}
            records[op_id][pass_name] = record
            send_one(client, op_id, ops[op_id], ops[op_id][values_key], pass_name, record, spec)
    return records


# Where the official SDK keeps the model classes of the VM API's nested types: its own, and the
# services whose types it reuses (ChargeSpec, DiskSpec, NetworkInterfaceSpec, Filter, ...).
MODEL_PACKAGES = ("vm", "common", "charge", "disk", "vpc")


def model_class(type_name):
    for package in MODEL_PACKAGES:
        module_name = "jdcloud_sdk.services.%s.models.%s" % (package, type_name)
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cls = getattr(module, type_name, None)
        if cls is not None:
            return cls
    return None


def as_sdk_value(spec, node, value, where, notes):
    """`value` (JSON) as a Python SDK user passes it: a nested type as an instance of the SDK's
    model class of that name when there is one that takes every field given (its constructor's
    keyword arguments); else as a dict, which the SDK serialises alike, and a note saying why."""
    schema, ref_name = spec.resolve(node)
    if isinstance(value, list):
        items = schema.get("items", {})
        return [
            as_sdk_value(spec, items, v, "%s[%d]" % (where, i), notes)
            for i, v in enumerate(value)
        ]
    if not isinstance(value, dict) or not schema.get("properties"):
        return value
    props = schema["properties"]
    fields = {
        k: as_sdk_value(spec, props[k], v, "%s.%s" % (where, k), notes) if k in props else v
        for k, v in value.items()
    }
    if ref_name is None:
        return fields
    cls = model_class(ref_name)
    if cls is None:
        notes.append("%s: the SDK has no model %s: a dict" % (where, ref_name))
        return fields
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = sorted(set(fields) - accepted)
    if unknown:
        notes.append("%s: the SDK's %s has no %s: a dict" % (where, ref_name, ", ".join(unknown)))
        return fields
    try:
        return cls(**fields)
    except TypeError as e:
        notes.append(
            "%s: the SDK's %s refused %s (%s): a dict" % (where, ref_name, sorted(fields), e)
        )
        return fields


def send_one(client, op_id, op, values, pass_name, record, spec):
    """Sends one operation with `values` through the official SDK; what happened in `record`."""
    module_name = "jdcloud_sdk.services.vm.apis.%sRequest" % upper_first(op_id)
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        record["absent"] = True
        return
    request_class = getattr(module, upper_first(op_id) + "Request")
    params_class = getattr(module, upper_first(op_id) + "Parameters")
    ctor = [
        n
        for n, p in inspect.signature(params_class.__init__).parameters.items()
        if n != "self" and p.kind == p.POSITIONAL_OR_KEYWORD
    ]
    schemas = op["schemas"]
    values = {
        name: as_sdk_value(spec, schemas[name], value, name, record["notes"])
        for name, value in values.items()
    }
    missing = [n for n in ctor if n not in values]
    if missing:
        record["error"] = (
            "the SDK's constructor needs %s, which the spec does not require" % missing
        )
        return
    params = params_class(**{n: values[n] for n in ctor})
    for name, value in values.items():
        if name in ctor:
            continue
        setter = getattr(params, "set" + upper_first(name), None)
        if setter is not None:
            setter(value)
        else:
            setattr(params, name, value)
            record["notes"].append(
                "the SDK has no set%s: set as an attribute" % upper_first(name)
            )
    # The capture server tells the operations apart by this header (not compared).
    request = request_class(
        params, header={"x-differential-operation": "%s %s" % (op_id, pass_name)}
    )
    if request.method != op["method"]:
        record["notes"].append("the SDK's method is %s" % request.method)
    try:
        client.send(request)
    except Exception as e:  # noqa: BLE001 - recorded, the test reports it
        record["error"] = "%s: %s" % (type(e).__name__, e)


# ------------------------------------------------------------------------------- Rust drafts


def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def rust_accessor(spec, node, name):
    s, ref_name = spec.resolve(node)
    kind = s.get("type") or ("object" if "properties" in s else None)
    if kind == "string":
        return 'v.s("%s")' % name
    if kind == "integer":
        return 'v.i("%s")' % name
    if kind == "number":
        return 'v.f("%s")' % name
    if kind == "boolean":
        return 'v.b("%s")' % name
    if kind == "array":
        items, item_ref = spec.resolve(s.get("items", {}))
        if items.get("type") == "string" and item_ref is None and not items.get("enum"):
            return 'v.strs("%s")' % name
        return 'v.get::<Vec<types::%s>>("%s")' % (item_ref or "TODO", name)
    return 'v.get::<types::%s>("%s")' % (ref_name or "TODO", name)


def rust_draft(spec, wanted, required_only):
    for op_id, method, path, item, op in spec.operations():
        if wanted and op_id not in wanted:
            continue
        lines = ['        "%s" => client' % op_id, "            .%s()" % snake(op_id)]
        for p in spec.op_parameters(item, op):
            if required_only and not (p.get("required") or p["in"] == "path"):
                continue
            accessor = rust_accessor(spec, p.get("schema", {}), p["name"])
            lines.append("            .%s(%s)" % (snake(p["name"]), accessor))
        body = spec.body_schema(op)
        if body is not None:
            body_schema, _ = spec.resolve(body)
            body_required = set(body_schema.get("required") or [])
            for prop, prop_schema in (body_schema.get("properties") or {}).items():
                if required_only and prop not in body_required:
                    continue
                accessor = rust_accessor(spec, prop_schema, prop)
                lines.append("            .%s(%s)" % (snake(prop), accessor))
        lines[-1] += ";"
        print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default="spec/vm.yaml")
    parser.add_argument("--out")
    parser.add_argument(
        "--overlay", help="spec/overlay.yaml (default: beside --spec), for its sdk_differences"
    )
    parser.add_argument("--endpoint")
    parser.add_argument("--rust-draft", nargs="*", metavar="OPERATION")
    parser.add_argument(
        "--required", action="store_true", help="with --rust-draft: the required setters only"
    )
    args = parser.parse_args()
    with open(args.spec, encoding="utf-8") as f:
        spec = Spec(yaml.safe_load(f))
    if args.rust_draft is not None:
        rust_draft(spec, set(args.rust_draft), args.required)
        return 0
    if not args.out:
        parser.error("--out is required")
    try:
        ops, order = operation_samples(spec)
    except Unsatisfiable as e:
        print("python_sdk_differential: %s" % e, file=sys.stderr)
        return 2
    # The operations the spec has and the SDK lacks, each with its reason, in the overlay.
    overlay_path = args.overlay or os.path.join(os.path.dirname(args.spec), "overlay.yaml")
    not_in_sdk = {}
    if os.path.exists(overlay_path):
        with open(overlay_path, encoding="utf-8") as f:
            overlay = yaml.safe_load(f) or {}
        for entry in overlay.get("sdk_differences") or []:
            if entry.get("what") == "extra" and "." not in entry.get("at", "."):
                not_in_sdk[entry["at"]] = entry.get("reason", "")
    result = {"order": order, "operations": ops, "notInTheOfficialSdk": not_in_sdk}
    if args.endpoint:
        records = send_all(spec, ops, order, args.endpoint)
        for op_id, record in records.items():
            ops[op_id]["python"] = record
    for op in ops.values():
        del op["schemas"]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
