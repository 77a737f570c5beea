#!/usr/bin/env python3
"""spec/vm.yaml against the official JD Cloud Python SDK (pip package jdcloud-sdk 1.6.354).

For every operation of the SDK (jdcloud_sdk/services/vm/apis/*Request.py): the operation is in
the spec; its method and path agree; its parameter names, their place (path when the path names
them, else query for GET/DELETE/HEAD, JSON body for POST/PUT/PATCH: the SDK core's rule) and
their required-ness (a constructor argument of *Parameters is required, a setX one optional)
agree; and the fields of its request types (models/<Type>.py constructor: required without a
default) agree, recursively through nested request types the SDK also models. Every
difference must be listed in spec/overlay.yaml `sdk_differences` with its reason:

    sdk_differences:
      - at: shareImage.pins        # <op> | <op>.<param> | <TypeName>.<field>
        what: required             # missing | extra | required | method | path | place
        reason: ...

Exits non-zero listing unexplained differences (and listed ones that no longer occur).
Usage: python3 scripts/python_sdk_agreement.py [spec/vm.yaml] [spec/overlay.yaml]
"""

import importlib
import inspect
import os
import pkgutil
import re
import sys

import yaml

try:
    import jdcloud_sdk.services.vm.apis as apis_pkg
    import jdcloud_sdk.services.vm.models as models_pkg
except ImportError:
    sys.exit("python_sdk_agreement: jdcloud_sdk is not installed (pip install jdcloud-sdk==1.6.354)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "spec/vm.yaml")
OVERLAY = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "spec/overlay.yaml")


def lower_first(s):
    return s[:1].lower() + s[1:]


def params_of(cls):
    """(required names in order, optional names) of a *Parameters class or a model."""
    sig = inspect.signature(cls.__init__)
    required, optional = [], []
    for name, p in sig.parameters.items():
        if name in ("self", "header", "version"):
            continue
        (required if p.default is inspect.Parameter.empty else optional).append(name)
    # Optional parameters of *Parameters are set by setX methods, not constructor arguments.
    for name, fn in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("set") and len(name) > 3:
            field = lower_first(name[3:])
            src = inspect.getsource(fn)
            m = re.search(r"self\.(\w+)\s*=", src)
            if m:
                field = m.group(1)
            if field not in required and field not in optional:
                optional.append(field)
    return required, optional


def sdk_operations():
    ops = {}
    for info in pkgutil.iter_modules(apis_pkg.__path__):
        if not info.name.endswith("Request"):
            continue
        base = info.name[: -len("Request")]
        mod = importlib.import_module(apis_pkg.__name__ + "." + info.name)
        src = inspect.getsource(mod)
        m = re.search(r"__init__\(\s*'([^']+)',\s*'(\w+)'", src)
        required, optional = params_of(getattr(mod, base + "Parameters"))
        ops[lower_first(base)] = {
            "path": m.group(1),
            "method": m.group(2).upper(),
            "required": required,
            "optional": optional,
        }
    return ops


def sdk_model(name):
    try:
        mod = importlib.import_module(models_pkg.__name__ + "." + name)
    except ImportError:
        return None
    cls = getattr(mod, name, None)
    if cls is None:
        return None
    sig = inspect.signature(cls.__init__)
    fields = {}
    for n, p in sig.parameters.items():
        if n == "self":
            continue
        fields[n] = p.default is inspect.Parameter.empty
    return fields


def main():
    spec = yaml.safe_load(open(SPEC, encoding="utf-8"))
    overlay = yaml.safe_load(open(OVERLAY, encoding="utf-8")) or {}
    schemas = spec["components"]["schemas"]

    def resolve(s):
        while "$ref" in s:
            s = schemas[s["$ref"].split("/")[-1]]
        return s

    def ref_type(s):
        """The component name a property refers to (through an array), if an object type."""
        if "$ref" in s:
            name = s["$ref"].split("/")[-1]
            return name if resolve(s).get("type") == "object" else None
        if s.get("type") == "array":
            return ref_type(s.get("items", {}))
        return None

    spec_ops = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            spec_ops[op["operationId"]] = (method.upper(), path, op)

    found = []  # (at, what, detail)
    sdk = sdk_operations()
    compared_types = set()

    def compare_type(spec_name):
        if spec_name in compared_types:
            return
        compared_types.add(spec_name)
        model = sdk_model(spec_name)
        if model is None:
            return  # the SDK models it elsewhere (common types) or not at all
        s = resolve({"$ref": "#/components/schemas/" + spec_name})
        props = s.get("properties", {})
        required = set(s.get("required", []))
        for f, req in model.items():
            if f not in props:
                found.append((f"{spec_name}.{f}", "missing", "in the SDK's model, not in the spec"))
            elif req != (f in required):
                found.append((f"{spec_name}.{f}", "required", f"SDK {'required' if req else 'optional'}, spec {'required' if f in required else 'optional'}"))
        for f in props:
            if f not in model:
                found.append((f"{spec_name}.{f}", "extra", "in the spec, not in the SDK's model"))
        for f, p in props.items():
            t = ref_type(p)
            if t:
                compare_type(t)

    for op_id, o in sorted(sdk.items()):
        if op_id not in spec_ops:
            found.append((op_id, "missing", "an SDK operation the spec lacks"))
            continue
        method, path, op = spec_ops[op_id]
        if method != o["method"]:
            found.append((op_id, "method", f"SDK {o['method']}, spec {method}"))
        if path != o["path"]:
            found.append((op_id, "path", f"SDK {o['path']}, spec {path}"))
        in_path = set(re.findall(r"\{(\w+)\}", o["path"]))
        body_method = o["method"] in ("POST", "PUT", "PATCH")
        # The spec's parameters: name -> (place, required, schema).
        mine = {}
        for p in op.get("parameters", []):
            mine[p["name"]] = (p["in"], p.get("required", False), p.get("schema", {}))
        body = op.get("requestBody")
        if body:
            bs = resolve(body["content"]["application/json"]["schema"])
            for name, s in bs.get("properties", {}).items():
                mine[name] = ("body", name in bs.get("required", []), s)
        theirs = {n: True for n in o["required"]}
        theirs.update({n: False for n in o["optional"] if n not in theirs})
        for name, req in theirs.items():
            place = "path" if name in in_path else ("body" if body_method else "query")
            if name not in mine:
                found.append((f"{op_id}.{name}", "missing", f"SDK {place} parameter, not in the spec"))
                continue
            if mine[name][0] != place:
                found.append((f"{op_id}.{name}", "place", f"SDK {place}, spec {mine[name][0]}"))
            if mine[name][1] != req:
                found.append((f"{op_id}.{name}", "required", f"SDK {'required' if req else 'optional'}, spec {'required' if mine[name][1] else 'optional'}"))
            t = ref_type(mine[name][2])
            if t:
                compare_type(t)
        for name in mine:
            if name not in theirs:
                found.append((f"{op_id}.{name}", "extra", "in the spec, not an SDK parameter"))
    for op_id in sorted(spec_ops):
        if op_id not in sdk:
            found.append((op_id, "extra", "a spec operation the SDK lacks"))

    listed = {(d["at"], d["what"]): d for d in overlay.get("sdk_differences") or []}
    for d in listed.values():
        if not str(d.get("reason", "")).strip():
            found.append((d["at"], d["what"], "listed in sdk_differences without a reason"))
    unexplained = [(a, w, x) for a, w, x in found if (a, w) not in listed]
    stale = [k for k in listed if k not in {(a, w) for a, w, _ in found}]

    print(f"python_sdk_agreement: {len(sdk)} SDK operations, {len(spec_ops)} spec operations, "
          f"{len(compared_types)} request types compared, {len(found)} differences, "
          f"{len(found) - len(unexplained)} explained in spec/overlay.yaml")
    for a, w, x in unexplained:
        print(f"  unexplained: at: {a}  what: {w}  ({x})")
    for a, w in stale:
        print(f"  listed in sdk_differences but no longer a difference: at: {a}  what: {w}")
    if len(sdk) != 62:
        print(f"  expected the 62 operations of jdcloud-sdk 1.6.354, found {len(sdk)}")
    if unexplained or stale or len(sdk) != 62:
        sys.exit(1)
    print("python_sdk_agreement: passed")


if __name__ == "__main__":
    main()
