//! What build.rs adds to progenitor's operation builders (`mod builder`), and the few changes it
//! makes in them, each on syn's structures and each for a reason of correctness:
//!
//! - `send()` returns `jdcloud_vm::Error`: progenitor's `send` is cut before its hooks into the
//!   private `build_request` (`only_build_the_request`), and a `send` beside it checks the
//!   spec's numeric bounds (which typify does not), builds the request (its refusals through
//!   src/progenitor_errors.rs), and hands it to `crate::hooks::execute` and `decode`: sign,
//!   send, classify, retry, decode. So `?` shows the classified error.
//! - A setter per field of the JSON body (`.network_interface_id(..)`), with the signature of
//!   typify's body builder, through `body_map`.
//! - Parameter setters keep the reason a value was refused (progenitor drops it), so the error
//!   names the rule broken.
//! - `x-jdcloud-indexed` query parameters are written in JD Cloud's indexed form
//!   (src/query.rs): progenitor's own query writer cannot write a list of objects.
//! - `minimum: 1` makes typify choose `NonZeroU64`, which `.page_number(2)` cannot reach (an
//!   integer literal is an `i32`); plain integers are used, and the bound is checked like any other.
//! - Each operation's documented errors are listed in its rustdoc.

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{OpenAPI, Parameter, ReferenceOr, Schema, SchemaKind, Type};
use quote::{format_ident, quote};
use syn::{parse_quote, visit_mut::VisitMut};

use crate::documented_errors::{self, DocumentedErrors};

use crate::validate::INDEXED;

pub fn finish(
    file: &mut syn::File,
    spec: &OpenAPI,
    errors: &DocumentedErrors,
) -> Result<(), String> {
    NonZeroToPlain.visit_file_mut(file);
    setters_take_values(file);
    let body_setters = body_builder_setters(file);
    add_string_ref_conversions(file);

    for (_, _, op) in spec.operations() {
        let id = op.operation_id.as_deref().unwrap_or_default();
        let name = id.to_upper_camel_case();
        let method = id.to_snake_case();
        let documented = errors
            .by_operation
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let errors_doc = documented_errors::doc_section(documented);
        add_doc(client_method(file, &method)?, &errors_doc);

        let builder = builder_items(file)?;
        let Some(block) = builder.iter_mut().find_map(|item| match item {
            syn::Item::Impl(block) if block.trait_.is_none() && self_name(block) == name => {
                Some(block)
            }
            _ => None,
        }) else {
            return Err(format!(
                "progenitor generated no builder `{name}` for operation `{id}`; \
                 build_support/builders.rs expects progenitor 0.15's code"
            ));
        };

        let params = parameters(spec, op);
        let mut existing = Vec::new();
        let mut send = None;
        for item in &mut block.items {
            let syn::ImplItem::Fn(function) = item else {
                continue;
            };
            let fn_name = function.sig.ident.to_string();
            existing.push(fn_name.clone());
            if fn_name == "send" {
                let output = function.sig.output.clone();
                let indexed: Vec<&str> = params
                    .iter()
                    .filter(|p| p.indexed)
                    .map(|p| p.name.as_str())
                    .collect();
                write_indexed_queries(function, &indexed)
                    .map_err(|what| format!("operation `{id}`: {what}"))?;
                only_build_the_request(function)
                    .map_err(|what| format!("operation `{id}`: {what}"))?;
                send = Some((function.attrs.clone(), output));
            } else if params.iter().any(|p| p.field == fn_name) {
                keep_refusal_reason(function);
            }
        }
        let (send_doc, output) = send.ok_or_else(|| {
            format!("operation `{id}`: progenitor generated no `send`; build_support/builders.rs needs updating")
        })?;
        let success = success_type(&output)
            .ok_or_else(|| format!("operation `{id}`: unexpected `send` signature"))?;

        let operation = method.as_str();
        let checks = params.iter().filter_map(|p| {
            let range = p.range.as_ref()?;
            let field = format_ident!("{}", p.field);
            let label = &p.field;
            let (min, max) = (option_f64(range.min), option_f64(range.max));
            let value = if p.required {
                quote!(Ok(value))
            } else {
                quote!(Ok(Some(value)))
            };
            Some(quote! {
                if let #value = &self.#field {
                    crate::checks::in_range(#operation, #label, value, #min, #max)?;
                }
            })
        });

        let mut setters = Vec::new();
        if let Some(body) = body_schema(op) {
            for (field, setter) in body_setters.get(&body).into_iter().flatten() {
                let setter_name = setter.sig.ident.to_string();
                if existing.contains(&setter_name) {
                    return Err(format!(
                        "operation `{id}`: body field `{field}` would have the setter \
                         `{setter_name}`, which the builder already has (a parameter of that name?); \
                         rename one of them in the spec"
                    ));
                }
                setters.push(flat_setter(setter, &property_doc(spec, &body, field)));
            }
        }

        let paged = paging(spec, op, &params).map_err(|why| format!("operation `{id}`: {why}"))?;
        let into_pages = paged.as_ref().map(|paged| {
            let start = format_ident!("{}", paged.start);
            quote! {
                /// Every page of the answer, one call per page, from this builder's
                /// `page_number` (or 1) until all `totalCount` items have come: see
                /// [`Pages`](crate::Pages).
                pub fn into_pages(self) -> crate::Pages<Self> {
                    let first = match &self.#start {
                        Ok(Some(number)) => u64::try_from(*number).unwrap_or(1),
                        _ => 1,
                    };
                    crate::Pages::new(self, first)
                }
            }
        });
        let paged_impl = paged.as_ref().map(|paged| {
            let items = format_ident!("{}", paged.items.to_snake_case());
            let start = format_ident!("{}", paged.start);
            let self_ty = &block.self_ty;
            let generics = &block.generics;
            // Each shape the spec may give: `result` and `totalCount` required or not,
            // `totalCount` an integer of any width or a number.
            let result = if paged.result_required {
                quote!(Some(&page.result))
            } else {
                quote!(page.result.as_ref())
            };
            let total = if paged.total_required {
                quote!(Some(result.total_count))
            } else {
                quote!(result.total_count)
            };
            quote! {
                impl #generics crate::paging::Paged for #self_ty {
                    type Page = #success;
                    fn with_page(self, number: u64) -> Self {
                        self.#start(number)
                    }
                    fn send_page(
                        self,
                    ) -> impl ::std::future::Future<
                        Output = ::std::result::Result<ResponseValue<#success>, crate::Error>,
                    > + Send {
                        self.send()
                    }
                    fn counts(page: &#success) -> (u64, u64) {
                        match #result {
                            Some(result) => (
                                result.#items.len() as u64,
                                #total.map_or(0, |total| total as u64),
                            ),
                            None => (0, 0),
                        }
                    }
                }
            }
        });

        let (token, token_impl) = crate::idempotency::fill(spec, op, block).unzip();
        let self_ty = &block.self_ty;
        let generics = &block.generics;
        let addition: syn::ItemImpl = parse_quote! {
            impl #generics #self_ty {
                #(#setters)*

                #into_pages

                #(#send_doc)*
                #[doc = #errors_doc]
                pub async fn send(
                    self,
                ) -> ::std::result::Result<ResponseValue<#success>, crate::Error> {
                    #(#checks)*
                    let (client, request) = self #token .build_request()
                        .map_err(|e| crate::progenitor_errors::into_error(e, #operation))?;
                    let answer = crate::hooks::execute(client, request, #operation).await?;
                    crate::hooks::decode(answer, #operation)
                }
            }
        };
        builder.push(syn::Item::Impl(addition));
        builder.extend(token_impl);
        if let Some(paged) = paged_impl {
            builder.push(syn::parse2(paged).map_err(|e| format!("operation `{id}`: {e}"))?);
        }
    }
    Ok(())
}

/// progenitor's `send` builds the request, then runs the hooks and decodes the answer, a
/// future of its own for each operation. It keeps the first half, as the plain
/// `fn build_request(self) -> Result<(&Client, reqwest::Request), Error<ErrorResponse>>`; the
/// second is `crate::hooks::execute`, one future for every operation, and the plain generic
/// `crate::hooks::decode`: less for the compiler than 63 futures of their own (BENCHMARKS.md,
/// Build cost), and the body the hooks read is decoded as it is instead of rebuilt into a
/// `reqwest::Response` for progenitor to read again.
fn only_build_the_request(function: &mut syn::ImplItemFn) -> Result<(), String> {
    let at = function
        .block
        .stmts
        .iter()
        .position(|stmt| match stmt {
            syn::Stmt::Local(local) => {
                matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "info")
            }
            _ => false,
        })
        .ok_or("progenitor's `send` has no `let info = OperationInfo { … }`; build_support/builders.rs expects progenitor 0.15's code")?;
    let builds_request = function.block.stmts[..at].iter().any(|stmt| {
        matches!(stmt, syn::Stmt::Local(local)
            if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "request"))
    });
    if !builds_request || function.sig.asyncness.is_none() {
        return Err(
            "progenitor's `send` is not an async fn building `request` before \
                    `info`; build_support/builders.rs expects progenitor 0.15's code"
                .to_owned(),
        );
    }
    function.block.stmts.truncate(at);
    function
        .block
        .stmts
        .push(syn::Stmt::Expr(parse_quote!(Ok((client, request))), None));
    function.sig.asyncness = None;
    function.sig.ident = format_ident!("build_request");
    function.sig.output = parse_quote! {
        -> ::std::result::Result<
            (&'a super::Client, ::reqwest::Request),
            progenitor_client::Error<types::ErrorResponse>,
        >
    };
    function.vis = syn::Visibility::Inherited;
    function.attrs.retain(|a| !a.path().is_ident("doc"));
    Ok(())
}

/// A paged operation's shape: the list of its `result`, the page number's field, and whether
/// `result` and its `totalCount` are required (else they are `Option`s).
struct Paging {
    items: String,
    start: String,
    result_required: bool,
    total_required: bool,
}

/// For a paged operation (a `pageNumber` query parameter, and an answer whose `result` has a
/// `totalCount` and one list): its shape. `Err` for a shape no pages can be read from.
fn paging(
    spec: &OpenAPI,
    op: &openapiv3::Operation,
    params: &[Param],
) -> Result<Option<Paging>, String> {
    let Some(start) = params.iter().find(|p| p.name == "pageNumber") else {
        return Ok(None);
    };
    let refuse = |why: &str| {
        Err(format!(
            "it has a `pageNumber` parameter, but {why}: `into_pages` needs an answer whose \
             `result` has a `totalCount` and exactly one list"
        ))
    };
    let response = op
        .responses
        .responses
        .iter()
        .find_map(|(status, r)| match status {
            openapiv3::StatusCode::Code(200..=299) => crate::validate::resolve_response(spec, r),
            _ => None,
        });
    let Some(schema) = response
        .and_then(|r| r.content.get("application/json"))
        .and_then(|m| m.schema.as_ref())
    else {
        return refuse("its answer has no JSON schema");
    };
    let object = |schema: &Schema| match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => Some(o.clone()),
        _ => None,
    };
    let boxed = |p: &ReferenceOr<Box<Schema>>| resolve(spec, &p.clone().unbox()).cloned();
    let Some(answer) = resolve(spec, schema).and_then(object) else {
        return refuse("its answer is not an object");
    };
    let Some(result) = answer
        .properties
        .get("result")
        .and_then(boxed)
        .and_then(|s| object(&s))
    else {
        return refuse("its answer has no `result` object");
    };
    let Some(total) = result.properties.get("totalCount").and_then(boxed) else {
        return refuse("its `result` has no `totalCount`");
    };
    if !matches!(
        total.schema_kind,
        SchemaKind::Type(Type::Integer(_) | Type::Number(_))
    ) {
        return refuse("its `totalCount` is not a number");
    }
    let lists: Vec<&String> = result
        .properties
        .iter()
        .filter(|(_, p)| {
            matches!(
                boxed(p).map(|s| s.schema_kind),
                Some(SchemaKind::Type(Type::Array(_)))
            )
        })
        .map(|(name, _)| name)
        .collect();
    let [items] = lists.as_slice() else {
        return refuse(&format!("its `result` has {} lists", lists.len()));
    };
    Ok(Some(Paging {
        items: (*items).clone(),
        start: start.field.clone(),
        result_required: answer.required.iter().any(|r| r == "result"),
        total_required: result.required.iter().any(|r| r == "totalCount"),
    }))
}

/// A path or query parameter, as the builder names it.
struct Param {
    /// The name in the spec, and on the wire.
    name: String,
    /// The builder's field and setter.
    field: String,
    required: bool,
    indexed: bool,
    range: Option<Range>,
}

/// Inclusive bounds of a number, as the spec gives them.
struct Range {
    min: Option<f64>,
    max: Option<f64>,
}

fn parameters(spec: &OpenAPI, op: &openapiv3::Operation) -> Vec<Param> {
    op.parameters
        .iter()
        .filter_map(ReferenceOr::as_item)
        .filter_map(|p| match p {
            Parameter::Path { parameter_data, .. } | Parameter::Query { parameter_data, .. } => {
                Some(parameter_data)
            }
            _ => None,
        })
        .map(|data| {
            let schema = match &data.format {
                openapiv3::ParameterSchemaOrContent::Schema(s) => resolve(spec, s),
                _ => None,
            };
            Param {
                name: data.name.clone(),
                field: data.name.to_snake_case(),
                required: data.required,
                indexed: data.extensions.get(INDEXED) == Some(&serde_json::Value::Bool(true)),
                range: schema.and_then(range_of),
            }
        })
        .collect()
}

fn resolve<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            spec.components.as_ref()?.schemas.get(name)?.as_item()
        }
    }
}

fn range_of(schema: &Schema) -> Option<Range> {
    let (min, max) = match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => (
            i.minimum
                .map(|m| m as f64 + f64::from(u8::from(i.exclusive_minimum))),
            i.maximum
                .map(|m| m as f64 - f64::from(u8::from(i.exclusive_maximum))),
        ),
        SchemaKind::Type(Type::Number(n)) => (n.minimum, n.maximum),
        _ => return None,
    };
    (min.is_some() || max.is_some()).then_some(Range { min, max })
}

fn option_f64(value: Option<f64>) -> proc_macro2::TokenStream {
    match value {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// The component schema of an operation's JSON body, when it has one.
fn body_schema(op: &openapiv3::Operation) -> Option<String> {
    let ReferenceOr::Item(body) = op.request_body.as_ref()? else {
        return None;
    };
    match &body.content.get("application/json")?.schema {
        Some(ReferenceOr::Reference { reference }) => reference
            .strip_prefix("#/components/schemas/")
            .map(str::to_owned),
        _ => None,
    }
}

/// The description of a body property, for its setter's rustdoc.
fn property_doc(spec: &OpenAPI, schema: &str, property: &str) -> String {
    let object = spec
        .components
        .as_ref()
        .and_then(|c| c.schemas.get(schema))
        .and_then(ReferenceOr::as_item)
        .and_then(|s| match &s.schema_kind {
            SchemaKind::Type(Type::Object(o)) => Some(o),
            _ => None,
        });
    let description = object
        .and_then(|o| o.properties.get(property))
        .and_then(|p| match p {
            ReferenceOr::Item(s) => s.schema_data.description.clone(),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/schemas/")
                .and_then(|n| spec.components.as_ref()?.schemas.get(n)?.as_item())
                .and_then(|s| s.schema_data.description.clone()),
        })
        .unwrap_or_default();
    format!("`{property}` of the request body.\n\n{description}")
}

/// The setters of typify's builder of each object type, by type name, each with the JSON name
/// of its field.
fn body_builder_setters(file: &syn::File) -> BTreeMap<String, Vec<(String, syn::ImplItemFn)>> {
    let mut out = BTreeMap::new();
    let Some(types) = module(&file.items, "types") else {
        return out;
    };
    // JSON names of each struct's fields, by Rust name.
    let mut json_names: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for item in types {
        if let syn::Item::Struct(s) = item {
            if let syn::Fields::Named(fields) = &s.fields {
                let names = fields
                    .named
                    .iter()
                    .filter_map(|f| {
                        let rust = f.ident.as_ref()?.to_string();
                        let json = crate::property_order::json_name(f);
                        Some((rust, json))
                    })
                    .collect();
                json_names.insert(s.ident.to_string(), names);
            }
        }
    }
    let Some(builders) = module(types, "builder") else {
        return out;
    };
    for item in builders {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        if block.trait_.is_some() {
            continue;
        }
        let name = self_name(block);
        let setters = block
            .items
            .iter()
            .filter_map(|item| match item {
                syn::ImplItem::Fn(f) if matches!(f.vis, syn::Visibility::Public(_)) => {
                    let rust = f.sig.ident.to_string();
                    let json = json_names
                        .get(&name)
                        .and_then(|n| n.get(&rust))
                        .cloned()
                        .unwrap_or_else(|| rust.clone());
                    Some((json, f.clone()))
                }
                _ => None,
            })
            .collect();
        out.insert(name, setters);
    }
    out
}

/// `pub fn x<T>(self, value: T) -> Self where … { self.body_map(|body| body.x(value)) }`, with
/// the signature of typify's setter, its paths made relative to `mod builder`.
fn flat_setter(setter: &syn::ImplItemFn, doc: &str) -> syn::ImplItemFn {
    let mut sig = setter.sig.clone();
    if let Some(syn::FnArg::Receiver(receiver)) = sig.inputs.first_mut() {
        receiver.mutability = None;
    }
    SuperToTypes.visit_signature_mut(&mut sig);
    let name = &sig.ident;
    parse_quote! {
        #[doc = #doc]
        pub #sig {
            self.body_map(|body| body.#name(value))
        }
    }
}

/// `.map_err(|_| "conversion to … failed")` in a parameter setter becomes
/// `.map_err(|e| format!("field: {e}"))`, with the bound that makes `e` printable.
fn keep_refusal_reason(function: &mut syn::ImplItemFn) {
    let field = function.sig.ident.to_string();
    // `V: TryInto<T>` gains `<V as TryInto<T>>::Error: Display`.
    if let Some(where_clause) = &mut function.sig.generics.where_clause {
        let mut added: Vec<syn::WherePredicate> = Vec::new();
        for predicate in &where_clause.predicates {
            let syn::WherePredicate::Type(p) = predicate else {
                continue;
            };
            for bound in &p.bounds {
                let syn::TypeParamBound::Trait(t) = bound else {
                    continue;
                };
                if t.path.segments.last().is_some_and(|s| s.ident == "TryInto") {
                    let (ty, path) = (&p.bounded_ty, &t.path);
                    added.push(parse_quote!(<#ty as #path>::Error: ::std::fmt::Display));
                }
            }
        }
        where_clause.predicates.extend(added);
    }
    struct Reason<'a>(&'a str);
    impl VisitMut for Reason<'_> {
        fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
            syn::visit_mut::visit_expr_method_call_mut(self, call);
            if call.method == "map_err" && call.args.len() == 1 {
                let field = self.0;
                call.args[0] = parse_quote!(|e| format!("{}: {}", #field, e));
            }
        }
    }
    Reason(&field).visit_block_mut(&mut function.block);
}

/// `.query(&progenitor_client::QueryParam::new("filters", &filters))` becomes
/// `.query(&crate::query::Indexed::new("filters", &filters))` for each indexed parameter.
fn write_indexed_queries(function: &mut syn::ImplItemFn, indexed: &[&str]) -> Result<(), String> {
    struct Rewrite<'a> {
        indexed: &'a [&'a str],
        done: Vec<String>,
    }
    impl VisitMut for Rewrite<'_> {
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            syn::visit_mut::visit_expr_call_mut(self, call);
            let syn::Expr::Path(func) = &*call.func else {
                return;
            };
            let segments: Vec<String> = func
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if !segments.ends_with(&["QueryParam".to_owned(), "new".to_owned()]) {
                return;
            }
            let Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(name),
                ..
            })) = call.args.first()
            else {
                return;
            };
            if self.indexed.contains(&name.value().as_str()) {
                self.done.push(name.value());
                call.func = parse_quote!(crate::query::Indexed::new);
            }
        }
    }
    let mut rewrite = Rewrite {
        indexed,
        done: Vec::new(),
    };
    rewrite.visit_block_mut(&mut function.block);
    match indexed
        .iter()
        .find(|name| !rewrite.done.iter().any(|d| d == *name))
    {
        Some(missing) => Err(format!(
            "query parameter `{missing}` is `{INDEXED}`, but the generated code writes it in no \
             form build_support/builders.rs recognises"
        )),
        None => Ok(()),
    }
}

/// `T` of `Result<ResponseValue<T>, Error<E>>`.
fn success_type(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let first_arg = |ty: &syn::Type| -> Option<syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
            return None;
        };
        match args.args.first()? {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }
    };
    first_arg(&first_arg(ty)?)
}

/// `impl TryFrom<&String>` beside typify's `impl TryFrom<&str>`, so ID setters take `&String`.
fn add_string_ref_conversions(file: &mut syn::File) {
    let Some(types) = module_mut(&mut file.items, "types") else {
        return;
    };
    let mut added: Vec<syn::Item> = Vec::new();
    for item in types.iter() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let Some((trait_path, _)) = &block.trait_ else {
            continue;
        };
        let from_str_ref = trait_path.segments.last().is_some_and(|s| {
            s.ident == "TryFrom"
                && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                    if matches!(a.args.first(), Some(syn::GenericArgument::Type(syn::Type::Reference(r)))
                        if matches!(&*r.elem, syn::Type::Path(p) if p.path.is_ident("str"))))
        });
        if from_str_ref {
            let ty = &block.self_ty;
            added.push(parse_quote! {
                impl ::std::convert::TryFrom<&::std::string::String> for #ty {
                    type Error = self::error::ConversionError;
                    fn try_from(
                        value: &::std::string::String,
                    ) -> ::std::result::Result<Self, self::error::ConversionError> {
                        value.parse()
                    }
                }
            });
        }
    }
    types.extend(added);
}

/// typify's builder setter of an optional field takes `T: TryInto<Option<X>>`, which `"web"` or
/// `2` cannot reach (`&str` is no `Option<String>`, an `i32` no `Option<i64>`): it becomes
/// `T: TryInto<X>`, the value wrapped in `Some`. Users write `.description("web")`, as for
/// required fields and parameters; a field left unset is `None`.
fn setters_take_values(file: &mut syn::File) {
    let Some(builders) =
        module_mut(&mut file.items, "types").and_then(|types| module_mut(types, "builder"))
    else {
        return;
    };
    for item in builders {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        if block.trait_.is_some() {
            continue;
        }
        for item in &mut block.items {
            let syn::ImplItem::Fn(setter) = item else {
                continue;
            };
            if unwrap_option_bound(&mut setter.sig) {
                WrapInSome.visit_block_mut(&mut setter.block);
            }
        }
    }
}

/// `T: TryInto<Option<X>>` becomes `T: TryInto<X>`; whether there was one.
fn unwrap_option_bound(sig: &mut syn::Signature) -> bool {
    let Some(where_clause) = &mut sig.generics.where_clause else {
        return false;
    };
    let mut changed = false;
    for predicate in &mut where_clause.predicates {
        let syn::WherePredicate::Type(p) = predicate else {
            continue;
        };
        for bound in &mut p.bounds {
            let syn::TypeParamBound::Trait(t) = bound else {
                continue;
            };
            let Some(last) = t.path.segments.last_mut() else {
                continue;
            };
            if last.ident != "TryInto" {
                continue;
            }
            let syn::PathArguments::AngleBracketed(args) = &mut last.arguments else {
                continue;
            };
            let Some(syn::GenericArgument::Type(target)) = args.args.first_mut() else {
                continue;
            };
            if let Some(inner) = option_inner(target) {
                *target = inner;
                changed = true;
            }
        }
    }
    changed
}

/// `X` of `Option<X>`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

/// `value.try_into()` becomes `value.try_into().map(Some)`.
struct WrapInSome;

impl VisitMut for WrapInSome {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr {
            if call.method == "try_into" && call.args.is_empty() {
                *expr = parse_quote!(#call.map(::std::option::Option::Some));
            }
        }
    }
}

/// `::std::num::NonZeroU64` and the like become `u64`.
struct NonZeroToPlain;

impl VisitMut for NonZeroToPlain {
    fn visit_type_path_mut(&mut self, ty: &mut syn::TypePath) {
        syn::visit_mut::visit_type_path_mut(self, ty);
        let Some(last) = ty.path.segments.last() else {
            return;
        };
        if let Some(plain) = last.ident.to_string().strip_prefix("NonZero") {
            let plain = format_ident!("{}", plain.to_ascii_lowercase());
            *ty = parse_quote!(#plain);
        }
    }
}

/// `super::X` (as typify's builders, in `types::builder`, name types) becomes `types::X`.
struct SuperToTypes;

impl VisitMut for SuperToTypes {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        syn::visit_mut::visit_path_mut(self, path);
        if path.segments.first().is_some_and(|s| s.ident == "super") {
            path.segments[0] = parse_quote!(types);
        }
    }
}

fn add_doc(function: &mut syn::ImplItemFn, doc: &str) {
    function.attrs.push(parse_quote!(#[doc = #doc]));
}

fn client_method<'a>(
    file: &'a mut syn::File,
    name: &str,
) -> Result<&'a mut syn::ImplItemFn, String> {
    file.items
        .iter_mut()
        .filter_map(|item| match item {
            syn::Item::Impl(block) if block.trait_.is_none() && self_name(block) == "Client" => {
                Some(block)
            }
            _ => None,
        })
        .flat_map(|block| block.items.iter_mut())
        .find_map(|item| match item {
            syn::ImplItem::Fn(f) if f.sig.ident == name => Some(f),
            _ => None,
        })
        .ok_or_else(|| format!("progenitor generated no method `Client::{name}`"))
}

fn builder_items(file: &mut syn::File) -> Result<&mut Vec<syn::Item>, String> {
    module_mut(&mut file.items, "builder")
        .ok_or_else(|| "progenitor generated no `mod builder`".to_owned())
}

fn module<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a Vec<syn::Item>> {
    items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    })
}

pub fn module_mut<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// The name of the type an `impl` block is for (the last segment: `super::X` is `X`).
pub fn self_name(block: &syn::ItemImpl) -> String {
    match &*block.self_ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}
