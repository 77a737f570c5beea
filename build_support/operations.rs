//! For the emulator (crate `jdcloud-vm-emulator`): a macro that names, for every operation of
//! the spec with a JSON body, the generated type of that body, so that the emulator reads
//! bodies into the SDK's own types. A macro costs the SDK nothing to compile; only its caller
//! instantiates anything.

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, StatusCode, Type};

/// `$OUT_DIR/operations.rs`, included by `src/lib.rs`.
pub fn rust_source(spec: &OpenAPI) -> String {
    let mut entries = Vec::new();
    let mut results = Vec::new();
    for (_, item) in spec.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (_, op) in item.iter() {
            if let (Some(id), Some(result)) = (&op.operation_id, result_type(spec, op)) {
                results.push(format!("        ({id:?}, {result}),\n"));
            }
            let (Some(id), Some(ReferenceOr::Item(body))) = (&op.operation_id, &op.request_body)
            else {
                continue;
            };
            let Some(ReferenceOr::Reference { reference }) = body
                .content
                .get("application/json")
                .and_then(|media| media.schema.as_ref())
            else {
                continue;
            };
            if let Some(name) = reference.strip_prefix("#/components/schemas/") {
                entries.push(format!("        ({id:?}, {name}),\n"));
            }
        }
    }
    format!(
        "/// For the emulator (crate `jdcloud-vm-emulator`): calls `$m!` with `(\"operationId\", \
         BodyType)` for every operation of the spec that has a JSON body, `BodyType` in \
         [`types`](crate::types). Not part of the API.\n\
         #[doc(hidden)]\n\
         #[macro_export]\n\
         macro_rules! __operations_with_bodies {{\n    ($m:ident) => {{\n        $m! {{\n{}        }}\n    }};\n}}\n\n\
         /// For the emulator: calls `$m!` with `(\"operationId\", ResultType)` for every \
         operation of the spec whose answer has a `result`. Not part of the API.\n\
         #[doc(hidden)]\n\
         #[macro_export]\n\
         macro_rules! __operations_with_results {{\n    ($m:ident) => {{\n        $m! {{\n{}        }}\n    }};\n}}\n",
        entries.concat(),
        results.concat()
    )
}

/// The generated type of an operation's `result`: its `200` answer's schema (a `$ref` to an
/// object), whose `result` property is a `$ref`.
fn result_type(spec: &OpenAPI, op: &openapiv3::Operation) -> Option<String> {
    let ReferenceOr::Item(ok) = op.responses.responses.get(&StatusCode::Code(200))? else {
        return None;
    };
    let ReferenceOr::Reference { reference } =
        ok.content.get("application/json")?.schema.as_ref()?
    else {
        return None;
    };
    let name = reference.strip_prefix("#/components/schemas/")?;
    let ReferenceOr::Item(answer) = spec.components.as_ref()?.schemas.get(name)? else {
        return None;
    };
    let SchemaKind::Type(Type::Object(object)) = &answer.schema_kind else {
        return None;
    };
    match object.properties.get("result")? {
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/schemas/")
            .map(str::to_owned),
        ReferenceOr::Item(_) => None,
    }
}
