//! For the emulator (crate `jdcloud-vm-emulator`): a macro that names, for every operation of
//! the spec with a JSON body, the generated type of that body, so that the emulator reads
//! bodies into the SDK's own types. A macro costs the SDK nothing to compile; only its caller
//! instantiates anything.

use openapiv3::{OpenAPI, ReferenceOr};

/// `$OUT_DIR/operations.rs`, included by `src/lib.rs`.
pub fn rust_source(spec: &OpenAPI) -> String {
    let mut entries = Vec::new();
    for (_, item) in spec.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (_, op) in item.iter() {
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
         macro_rules! __operations_with_bodies {{\n    ($m:ident) => {{\n        $m! {{\n{}        }}\n    }};\n}}\n",
        entries.concat()
    )
}
