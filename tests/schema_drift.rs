//! The generated types against the spec they were generated from: same property names, same
//! required set, same JSON types. The types are regenerated on every build, so this catches
//! drift in the generator's reading of the spec (typify versions, settings, the build's
//! post-processing) and any hand-made type that stops matching the document.
#![cfg(feature = "schemars")]

mod common;

use std::collections::BTreeSet;

use jdcloud_vm::types;
use serde_json::Value;

/// The generated type of each object schema of the spec, by the schema's name: the list is
/// written by build.rs from the spec.
fn generated_schemas() -> Vec<(&'static str, Value)> {
    let json = |root: schemars::schema::RootSchema| serde_json::to_value(root).unwrap();
    include!(concat!(env!("OUT_DIR"), "/object_schemas.rs"))
}

/// The spec as JSON.
fn spec() -> Value {
    serde_json::to_value(common::spec()).unwrap()
}

/// One side of the comparison: a document and where its `$ref`s point.
#[derive(Clone, Copy)]
struct Doc<'a> {
    root: &'a Value,
    /// `#/definitions/` for schemars 0.8, `#/components/schemas/` for OpenAPI.
    refs: &'static str,
    refs_in: &'static [&'static str],
}

impl<'a> Doc<'a> {
    fn spec(root: &'a Value) -> Self {
        Doc {
            root,
            refs: "#/components/schemas/",
            refs_in: &["components", "schemas"],
        }
    }

    fn generated(root: &'a Value) -> Self {
        Doc {
            root,
            refs: "#/definitions/",
            refs_in: &["definitions"],
        }
    }

    /// Follows `$ref`s, and the one-element `allOf` schemars wraps a documented `$ref` in.
    fn resolve(self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..16 {
            if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
                let name = reference
                    .strip_prefix(self.refs)
                    .unwrap_or_else(|| panic!("a $ref outside {}: {reference}", self.refs));
                let mut target = self.root;
                for key in self.refs_in {
                    target = &target[*key];
                }
                schema = &target[name];
                assert!(!schema.is_null(), "dangling $ref {reference}");
            } else if let Some([only]) = schema
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                schema = only;
            } else {
                return schema;
            }
        }
        panic!("a $ref cycle")
    }

    /// The JSON types a schema admits, `null` included; `None` for any value at all.
    fn types(self, schema: &'a Value) -> Option<BTreeSet<String>> {
        let schema = self.resolve(schema);
        // schemars writes an optional struct as `anyOf: [{$ref}, {type: null}]`.
        if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
            let mut all = BTreeSet::new();
            for one in any {
                all.extend(self.types(one)?);
            }
            return Some(all);
        }
        let mut types: BTreeSet<String> = match schema.get("type") {
            Some(Value::String(t)) => [t.clone()].into(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            // `true`, `{}`, or a schema with only a description: anything goes.
            _ => return None,
        };
        if schema.get("nullable") == Some(&Value::Bool(true)) {
            types.insert("null".to_owned());
        }
        Some(types)
    }

    fn properties(self, schema: &'a Value) -> BTreeSet<String> {
        self.resolve(schema)
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn required(self, schema: &'a Value) -> BTreeSet<String> {
        self.resolve(schema)
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Every difference between the spec's schema `name` and its generated type, one per line,
/// each naming the type and the property.
fn drift(name: &str, spec: &Value, generated: &Value) -> Vec<String> {
    let (s, g) = (Doc::spec(spec), Doc::generated(generated));
    let spec_schema = &spec["components"]["schemas"][name];
    let mut found = Vec::new();
    if spec_schema.is_null() {
        return vec![format!("{name}: no such schema in the spec")];
    }
    if s.types(spec_schema) != g.types(generated) {
        found.push(format!(
            "{name}: the spec says {:?}, the generated type {:?}",
            s.types(spec_schema),
            g.types(generated)
        ));
    }
    let (spec_props, gen_props) = (s.properties(spec_schema), g.properties(generated));
    for p in spec_props.difference(&gen_props) {
        found.push(format!(
            "{name}.{p}: in the spec, not in the generated type"
        ));
    }
    for p in gen_props.difference(&spec_props) {
        found.push(format!(
            "{name}.{p}: in the generated type, not in the spec"
        ));
    }
    let (spec_required, gen_required) = (s.required(spec_schema), g.required(generated));
    for p in spec_required.symmetric_difference(&gen_required) {
        found.push(format!(
            "{name}.{p}: required in the {} only",
            if spec_required.contains(p) {
                "spec"
            } else {
                "generated type"
            }
        ));
    }
    let spec_properties = &s.resolve(spec_schema)["properties"];
    let gen_properties = &g.resolve(generated)["properties"];
    for p in spec_props.intersection(&gen_props) {
        let (spec_p, gen_p) = (&spec_properties[p], &gen_properties[p]);
        let spec_types = s.types(spec_p);
        let mut gen_types = g.types(gen_p);
        // An optional field is an `Option`, which schemars says admits `null`; the spec's
        // optional fields are simply left out. `null` counts only for required fields.
        if !spec_required.contains(p) {
            if let Some(types) = &mut gen_types {
                types.remove("null");
            }
        }
        if spec_types != gen_types {
            found.push(format!(
                "{name}.{p}: the spec says {spec_types:?}, the generated type {gen_types:?}"
            ));
        }
        let format = |doc: Doc<'_>, schema| doc.resolve(schema).get("format").cloned();
        if let Some(spec_format) = format(s, spec_p) {
            if format(g, gen_p).as_ref() != Some(&spec_format) {
                found.push(format!(
                    "{name}.{p}: format {spec_format} in the spec, {:?} in the generated type",
                    format(g, gen_p)
                ));
            }
        }
    }
    found
}

#[test]
fn the_generated_types_match_the_spec_schemas() {
    let spec = spec();
    let found: Vec<String> = generated_schemas()
        .iter()
        .flat_map(|(name, generated)| drift(name, &spec, generated))
        .collect();
    assert!(
        found.is_empty(),
        "the spec and the generated types drifted:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_object_schema_of_the_spec_is_compared() {
    // A new request or response schema in the spec must join the comparison above.
    let spec = spec();
    let objects: BTreeSet<&str> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, schema)| schema["type"] == "object")
        .map(|(name, _)| name.as_str())
        .collect();
    let compared: BTreeSet<&str> = generated_schemas().iter().map(|(name, _)| *name).collect();
    assert_eq!(objects, compared);
}

#[test]
fn drift_is_reported_by_type_and_property() {
    // The comparison must be able to fail: doctor the spec's side and read the report.
    let mut spec = spec();
    let schemas = &mut spec["components"]["schemas"];
    schemas["AttachNetworkInterfaceRequest"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("autoDelete");
    schemas["AttachNetworkInterfaceResponse"]["properties"]["traceId"] =
        serde_json::json!({"type": "string"});
    schemas["ErrorDetail"]["properties"]["code"]["type"] = "string".into();
    schemas["ErrorDetail"]["required"] = serde_json::json!(["code", "status"]);
    schemas["NetworkInterfaceId"]["type"] = "integer".into();

    let found: Vec<String> = generated_schemas()
        .iter()
        .flat_map(|(name, generated)| drift(name, &spec, generated))
        .collect();
    let text = found.join("\n");
    for expected in [
        "AttachNetworkInterfaceRequest.autoDelete: in the generated type, not in the spec",
        "AttachNetworkInterfaceResponse.traceId: in the spec, not in the generated type",
        "ErrorDetail.code: the spec says",
        "ErrorDetail.message: required in the generated type only",
        // Through the `$ref` on both sides, wherever the schema is used.
        "AttachNetworkInterfaceRequest.networkInterfaceId: the spec says",
        "DetachNetworkInterfaceRequest.networkInterfaceId: the spec says",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert_eq!(found.len(), 6, "{text}");
}
