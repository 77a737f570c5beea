//! The waiters and the lost-answer declarations of the spec, generated as code that the
//! hand-written runners (src/waiters.rs, src/lost_answers.rs) run.
//!
//! `x-jdcloud-waiters` (top level), modelled on Smithy's `smithy.waiters#waitable`; each waiter
//! `Name` becomes `Client::wait_until_<name>`:
//!
//! ```yaml
//! x-jdcloud-waiters:
//!   InstanceRunning:
//!     documentation: Until the instance's `status` is `running`; ends at once on `error`.
//!     operation: describeInstance        # the operation polled
//!     arguments: [regionId, instanceId]  # the method's `&str` arguments, in order: each that
//!                                        # names an input of the operation sets it; acceptors
//!                                        # use any of them as `$name`
//!     awaits: instance {instanceId} running   # what a timeout says was awaited
//!     minDelay: 0.25                     # seconds: the first delay between polls; it doubles,
//!     maxDelay: 5                        # with jitter, up to this
//!     acceptors:                         # tried in order; the first that matches decides
//!       - {state: success, path: result.instance.status, equals: running}
//!       - {state: failure, path: result.instance.status, equals: error}
//!       - {state: retry, errorKind: TaskConflict}
//! ```
//!
//! An acceptor's `state` is `success`, `failure` (end at once with `ErrorKind::WaitFailed`) or
//! `retry`; it matches either an error (`errorKind`: an `ErrorKind` variant's name) or the
//! answer: a `path` into it (src/answer_path.rs) and one of `equals` (exactly one value, this
//! one), `anyEquals`, `allEquals`, `noneEquals` or `absent` (`true`: the path reaches
//! nothing). A value `$x` is the argument `x`. Errors no acceptor names are waited out when
//! retryable.
//!
//! `x-jdcloud-lost-answer` (per operation): how a refusal after a lost answer is recognised as
//! "already applied":
//!
//! ```yaml
//! x-jdcloud-lost-answer:
//!   waiter: InstanceStopped       # its success shows the call applied; its arguments are the
//!                                 # call's inputs of the same names (path, query, body field)
//!   inputs: {instanceId: instanceIds}  # optional: argument -> input, where the names differ;
//!                                 # an input that is a list: the waiter must show each
//!   refusals:                     # the refusal kinds that may mean "applied", and for how
//!     InvalidInstanceStatus: 0    # many seconds the waiter may run (0: one poll)
//!     TaskConflict: 300
//! ```
//!
//! Everything is checked here: the operations, the arguments against their inputs, the paths
//! against the answer's schema, the error kinds, the placeholders. A mistake is one line
//! naming the waiter and the rule, not a waiter that never matches.

use std::collections::BTreeSet;

use heck::{ToShoutySnakeCase, ToSnakeCase};
use openapiv3::{OpenAPI, Parameter, ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::answer_path::{self, List, Step};
use crate::documented_errors::DocumentedErrors;

pub const WAITERS: &str = "x-jdcloud-waiters";
pub const LOST_ANSWER: &str = "x-jdcloud-lost-answer";

/// The kinds every operation shares (src/error.rs), besides the spec's documented ones.
const SHARED_KINDS: &[&str] = &[
    "FailedPrecondition",
    "InvalidArgument",
    "Unauthenticated",
    "PermissionDenied",
    "NotFound",
    "Throttled",
    "ServiceUnavailable",
    "InvalidInput",
    "Timeout",
    "Transport",
    "MalformedResponse",
    "WaitFailed",
];

/// A waiter as the spec declares it, checked.
pub struct Waiter {
    pub name: String,
    pub method: String,
    description: String,
    operation: String,
    pub arguments: Vec<String>,
    /// Whether each argument sets the operation's input of its name (else acceptors use it).
    sets: Vec<bool>,
    awaits: String,
    min_delay: f64,
    max_delay: f64,
    acceptors: Vec<TokenStream>,
    /// Each acceptor in words, for the method's rustdoc.
    rules: Vec<String>,
}

/// The items to add to the generated file: `pub(crate) mod declared` (each [`Waiter`]'s
/// description for src/waiters.rs, and the lost-answer table for src/lost_answers.rs) and the
/// `Client::wait_until_*` methods.
pub fn generate(spec: &OpenAPI, errors: &DocumentedErrors) -> Result<Vec<syn::Item>, String> {
    let waiters = waiters(spec, errors)?;
    let lost = lost_answers(spec, errors, &waiters)?;

    let mut statics = Vec::new();
    let mut methods = Vec::new();
    for w in &waiters {
        let (op, _) = find_operation(spec, &w.operation).expect("checked");
        let stat = format_ident!("{}", w.name.to_shouty_snake_case());
        let poll = format_ident!("poll_{}", w.name.to_snake_case());
        let method = format_ident!("{}", w.method);
        let method_name = &w.method;
        let operation = format_ident!("{}", w.operation.to_snake_case());
        let operation_name = w.operation.to_snake_case();
        let arguments = &w.arguments;
        let setters = w
            .arguments
            .iter()
            .enumerate()
            .filter(|(i, _)| w.sets[*i])
            .map(|(i, a)| {
                let setter = format_ident!("{}", a.to_snake_case());
                quote!(.#setter(arguments[#i]))
            });
        let awaits = &w.awaits;
        let min = (w.min_delay * 1000.0).round() as u64;
        let max = (w.max_delay * 1000.0).round() as u64;
        let acceptors = &w.acceptors;
        let _ = op;
        statics.push(quote! {
            pub(crate) static #stat: Waiter = Waiter {
                method: #method_name,
                operation: #operation_name,
                arguments: &[#(#arguments),*],
                awaits: #awaits,
                min_delay: Duration::from_millis(#min),
                max_delay: Duration::from_millis(#max),
                acceptors: &[#(#acceptors),*],
                poll: #poll,
            };
            fn #poll<'a>(client: &'a super::Client, arguments: &'a [&'a str]) -> PollFuture<'a> {
                Box::pin(async move {
                    let answer = client.#operation()#(#setters)*.send().await?;
                    crate::waiters::to_json(answer.into_inner())
                })
            }
        });
        let params = w
            .arguments
            .iter()
            .map(|a| format_ident!("{}", a.to_snake_case()));
        let args = params.clone();
        let mut awaits_shown = w.awaits.clone();
        for a in &w.arguments {
            awaits_shown =
                awaits_shown.replace(&format!("{{{a}}}"), &format!("`{}`", a.to_snake_case()));
        }
        let doc = format!(
            "{}\n\nPolls [`{operation_name}`](Client::{operation_name}), at least once, then \
             with a delay growing from {} s to {} s (with jitter) until what is awaited \
             ({awaits_shown}) has happened; the first of these that holds decides:\n\n{}\n\n\
             Past `timeout` the result is \
             [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), naming what was awaited; a \
             failure state ends the wait at once with \
             [`ErrorKind::WaitFailed`](crate::ErrorKind::WaitFailed). `Conflict with underlay \
             task` and other retryable failures are waited out; any other error is returned as \
             it is. Dropping the future stops the polling: nothing is left behind.\n\n\
             Declared in the spec: `{WAITERS}: {}`.",
            w.description,
            w.min_delay,
            w.max_delay,
            w.rules.join("\n"),
            w.name
        );
        methods.push(quote! {
            #[doc = #doc]
            pub async fn #method(
                &self,
                #(#params: &str,)*
                timeout: ::std::time::Duration,
            ) -> ::std::result::Result<(), crate::Error> {
                crate::waiters::wait(self, &declared::#stat, &[#(#args),*], timeout).await
            }
        });
    }

    let declared: syn::Item = syn::parse2(quote! {
        /// The spec's waiters and lost-answer declarations (`build_support/waiters.rs`).
        pub(crate) mod declared {
            use ::std::time::Duration;
            use crate::waiters::{Acceptor, Matcher, PollFuture, State, Test, Waiter};
            use crate::ErrorKind;
            #(#statics)*
            pub(crate) static LOST_ANSWERS: &[crate::lost_answers::LostAnswer] = &[#(#lost),*];
        }
    })
    .map_err(|e| format!("{WAITERS}: generated code does not parse: {e}"))?;
    let methods: syn::Item = syn::parse2(quote! {
        impl Client {
            #(#methods)*
        }
    })
    .map_err(|e| format!("{WAITERS}: generated code does not parse: {e}"))?;
    Ok(vec![declared, methods])
}

/// The spec's waiters, checked.
pub fn waiters(spec: &OpenAPI, errors: &DocumentedErrors) -> Result<Vec<Waiter>, String> {
    let Some(declared) = spec.extensions.get(WAITERS) else {
        return Ok(Vec::new());
    };
    let declared = declared
        .as_object()
        .ok_or_else(|| format!("{WAITERS} must map waiter names to waiters"))?;
    let mut out = Vec::new();
    let mut methods = BTreeSet::new();
    for (name, w) in declared {
        let here = format!("{WAITERS}.{name}");
        let method = format!("wait_until_{}", name.to_snake_case());
        if !name.chars().all(|c| c.is_ascii_alphanumeric()) || !methods.insert(method.clone()) {
            return Err(format!(
                "{here}: a waiter's name is UpperCamelCase, one per method"
            ));
        }
        let text = |key: &str| -> Result<String, String> {
            w.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{here}: `{key}` (a string) is required"))
        };
        let seconds = |key: &str, default: f64| -> Result<f64, String> {
            match w.get(key) {
                None => Ok(default),
                Some(v) => v
                    .as_f64()
                    .filter(|s| *s > 0.0 && *s <= 3600.0)
                    .ok_or_else(|| {
                        format!("{here}: `{key}` is seconds, more than 0, at most 3600")
                    }),
            }
        };
        let operation = text("operation")?;
        let (op, _) = find_operation(spec, &operation)
            .ok_or_else(|| format!("{here}: operation `{operation}` is not in the spec"))?;
        let arguments: Vec<String> = w
            .get("arguments")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .ok_or_else(|| {
                format!("{here}: `arguments` (a list of the operation's inputs) is required")
            })?;
        let inputs = inputs(spec, op);
        for required in required_inputs(op) {
            if !arguments.contains(&required) {
                return Err(format!(
                    "{here}: `{operation}` needs `{required}`: make it an argument"
                ));
            }
        }
        for a in &arguments {
            let used = inputs.contains(a)
                || w.to_string().contains(&format!("${a}"))
                || w.get("awaits")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.contains(&format!("{{{a}}}")));
            if !used {
                return Err(format!("{here}: argument `{a}` is no input of `{operation}` and no acceptor or `awaits` uses it"));
            }
        }
        let sets: Vec<bool> = arguments.iter().map(|a| inputs.contains(a)).collect();
        let awaits = text("awaits")?;
        check_placeholders(&here, &awaits, &arguments)?;
        let (min_delay, max_delay) = (seconds("minDelay", 2.0)?, seconds("maxDelay", 120.0)?);
        if min_delay > max_delay {
            return Err(format!("{here}: `minDelay` is more than `maxDelay`"));
        }
        let answer = answer_schema(spec, op)
            .ok_or_else(|| format!("{here}: `{operation}` has no JSON answer to look into"))?;
        let acceptors = w
            .get("acceptors")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| format!("{here}: `acceptors` (a list) is required"))?;
        let mut tokens = Vec::new();
        let mut rules = Vec::new();
        let mut success = false;
        for (i, a) in acceptors.iter().enumerate() {
            let here = format!("{here}.acceptors[{i}]");
            let state = match a.get("state").and_then(Value::as_str) {
                Some("success") => {
                    success = true;
                    quote!(State::Success)
                }
                Some("failure") => quote!(State::Failure),
                Some("retry") => quote!(State::Retry),
                _ => return Err(format!("{here}: `state` is success, failure or retry")),
            };
            let state_name = a.get("state").and_then(Value::as_str).unwrap_or_default();
            let matcher = if let Some(kind) = a.get("errorKind") {
                let kind = known_kind(&here, kind, errors)?;
                rules.push(format!(
                    "- {state_name}: the poll fails with [`{kind}`](crate::ErrorKind::{kind})"
                ));
                quote!(Matcher::Error(ErrorKind::#kind))
            } else {
                let path = a
                    .get("path")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{here}: `errorKind` or `path` is required"))?;
                let steps = answer_path::parse(path).map_err(|e| format!("{here}: {e}"))?;
                let reached = check_path(spec, &steps, answer, &arguments)
                    .map_err(|e| format!("{here}: path `{path}`: {e}"))?;
                let list = reached
                    .is_some_and(|s| matches!(s.schema_kind, SchemaKind::Type(Type::Array(_))));
                if list && a.get("absent").is_none() {
                    return Err(format!(
                        "{here}: path `{path}` ends at a list, whose elements are compared only \
                         with `[]` at its end"
                    ));
                }
                let value = |v: &Value| -> Result<String, String> {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        Value::Bool(_) | Value::Number(_) => v.to_string(),
                        _ => return Err(format!("{here}: a value is a string, number or boolean")),
                    };
                    check_value(&here, &v, &arguments)?;
                    Ok(v)
                };
                let shown = |v: &str| match v.strip_prefix('$') {
                    Some(arg) => format!("`{}`", arg.to_snake_case()),
                    None => format!("`{v}`"),
                };
                let tests = ["equals", "anyEquals", "allEquals", "noneEquals", "absent"];
                let given: Vec<&str> = tests.into_iter().filter(|t| a.get(*t).is_some()).collect();
                let (test, what) = match (given.as_slice(), given.first().and_then(|t| a.get(*t))) {
                    (["absent"], Some(Value::Bool(b))) => (
                        quote!(Test::Absent(#b)),
                        if *b { "is absent" } else { "is present" }.to_owned(),
                    ),
                    ([t], Some(v)) if *t != "absent" => {
                        let v = value(v)?;
                        let shown = shown(&v);
                        match *t {
                            "equals" => (quote!(Test::Equals(#v)), format!("is {shown}")),
                            "anyEquals" => (quote!(Test::AnyEquals(#v)), format!("has {shown}")),
                            "allEquals" => (quote!(Test::AllEquals(#v)), format!("is {shown} for all")),
                            _ => (quote!(Test::NoneEquals(#v)), format!("has no {shown}")),
                        }
                    }
                    _ => return Err(format!(
                        "{here}: a path acceptor has one of `equals`, `anyEquals`, `allEquals`, `noneEquals`, `absent: true|false`"
                    )),
                };
                let path_shown = path
                    .split('$')
                    .enumerate()
                    .map(|(i, part)| {
                        if i == 0 {
                            return part.to_owned();
                        }
                        let end = part
                            .find(|c: char| !c.is_ascii_alphanumeric())
                            .unwrap_or(part.len());
                        format!("${}{}", part[..end].to_snake_case(), &part[end..])
                    })
                    .collect::<String>();
                rules.push(format!("- {state_name}: `{path_shown}` {what}"));
                quote!(Matcher::Path { path: #path, test: #test })
            };
            tokens.push(quote!(Acceptor { state: #state, matcher: #matcher }));
        }
        if !success {
            return Err(format!("{here}: no acceptor says `success`"));
        }
        out.push(Waiter {
            name: name.clone(),
            method,
            description: w
                .get("documentation")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_owned(),
            operation,
            arguments,
            sets,
            awaits,
            min_delay,
            max_delay,
            acceptors: tokens,
            rules,
        });
    }
    Ok(out)
}

/// The lost-answer table's entries, checked.
fn lost_answers(
    spec: &OpenAPI,
    errors: &DocumentedErrors,
    waiters: &[Waiter],
) -> Result<Vec<TokenStream>, String> {
    let mut out = Vec::new();
    for (path, _, op) in spec.operations() {
        let Some(declared) = op.extensions.get(LOST_ANSWER) else {
            continue;
        };
        let id = op.operation_id.as_deref().unwrap_or_default();
        let here = format!("operation `{id}`: {LOST_ANSWER}");
        let name = declared
            .get("waiter")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{here}: `waiter` (a waiter's name) is required"))?;
        let waiter = waiters
            .iter()
            .find(|w| w.name == name)
            .ok_or_else(|| format!("{here}: no waiter `{name}` in {WAITERS}"))?;
        let renames = declared.get("inputs").and_then(Value::as_object);
        let inputs = inputs(spec, op);
        let mut from = Vec::new();
        for a in &waiter.arguments {
            let input = renames
                .and_then(|r| r.get(a))
                .and_then(Value::as_str)
                .unwrap_or(a);
            if !inputs.contains(input) {
                return Err(format!(
                    "{here}: waiter `{name}`'s argument `{a}` comes from input `{input}`, which `{id}` does not have (map it under `inputs`)"
                ));
            }
            from.push(input.to_owned());
        }
        let refusals = declared
            .get("refusals")
            .and_then(Value::as_object)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| format!("{here}: `refusals` (error kind: seconds) is required"))?;
        let mut kinds = Vec::new();
        for (kind, seconds) in refusals {
            let kind = known_kind(&here, &Value::String(kind.clone()), errors)?;
            let millis = seconds
                .as_f64()
                .filter(|s| (0.0..=3600.0).contains(s))
                .map(|s| (s * 1000.0).round() as u64)
                .ok_or_else(|| format!("{here}: refusal `{kind}`: seconds, 0 to 3600"))?;
            kinds.push(quote!((ErrorKind::#kind, Duration::from_millis(#millis))));
        }
        // src/hooks.rs stands in for the lost answer with `{requestId, result: {}}`.
        let result = answer_schema(spec, op)
            .and_then(|s| match &s.schema_kind {
                SchemaKind::Type(Type::Object(o)) => o.properties.get("result"),
                _ => None,
            })
            .and_then(|r| resolve_boxed(spec, r));
        if let Some(SchemaKind::Type(Type::Object(o))) = result.map(|r| &r.schema_kind) {
            if let Some(field) = o.required.first() {
                return Err(format!(
                    "{here}: `{id}`'s result requires `{field}`, which a call found applied \
                     after a lost answer cannot give"
                ));
            }
        }
        let operation = id.to_snake_case();
        let stat = format_ident!("{}", waiter.name.to_shouty_snake_case());
        out.push(quote! {
            crate::lost_answers::LostAnswer {
                operation: #operation,
                path: #path,
                refusals: &[#(#kinds),*],
                waiter: &#stat,
                inputs: &[#(#from),*],
            }
        });
    }
    Ok(out)
}

fn known_kind(here: &str, kind: &Value, errors: &DocumentedErrors) -> Result<syn::Ident, String> {
    let kind = kind.as_str().unwrap_or_default();
    if SHARED_KINDS.contains(&kind) || errors.all.iter().any(|e| e.name == kind) {
        Ok(format_ident!("{kind}"))
    } else {
        Err(format!(
            "{here}: `{kind}` is no ErrorKind (a documented error's name or a shared kind)"
        ))
    }
}

fn check_placeholders(here: &str, text: &str, arguments: &[String]) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("{here}: `{{` without `}}` in `{text}`"))?;
        let name = &rest[open + 1..open + close];
        if !arguments.iter().any(|a| a == name) {
            return Err(format!("{here}: `{{{name}}}` is no argument"));
        }
        rest = &rest[open + close..];
    }
    Ok(())
}

fn check_value(here: &str, value: &str, arguments: &[String]) -> Result<(), String> {
    match value.strip_prefix('$') {
        Some(name) if !arguments.iter().any(|a| a == name) => {
            Err(format!("{here}: `${name}` is no argument"))
        }
        _ => Ok(()),
    }
}

/// Checks `steps` against the schema they walk; free-form objects end the check.
fn check_path<'a>(
    spec: &'a OpenAPI,
    steps: &[Step<'_>],
    mut schema: &'a Schema,
    arguments: &[String],
) -> Result<Option<&'a Schema>, String> {
    for step in steps {
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
            return Err(format!(
                "`{}` is looked up in something that is not an object",
                step.name
            ));
        };
        if object.properties.is_empty() {
            return Ok(None);
        }
        let property = object
            .properties
            .get(step.name)
            .ok_or_else(|| format!("the answer has no `{}` there", step.name))?;
        schema = resolve_boxed(spec, property)
            .ok_or_else(|| format!("`{}`: unresolved $ref", step.name))?;
        if step.list == List::Whole {
            continue;
        }
        if let (List::Where(sub, value), SchemaKind::Type(Type::Object(_))) =
            (&step.list, &schema.schema_kind)
        {
            // A filter on an object: a list of one.
            check_path(spec, sub, schema, arguments)?;
            check_value("", value, arguments)?;
            continue;
        }
        let SchemaKind::Type(Type::Array(array)) = &schema.schema_kind else {
            return Err(format!("`{}` is not a list", step.name));
        };
        let items = array
            .items
            .as_ref()
            .ok_or_else(|| format!("`{}`: no items", step.name))?;
        schema = resolve_boxed(spec, items)
            .ok_or_else(|| format!("`{}`: unresolved $ref", step.name))?;
        if let List::Where(sub, value) = &step.list {
            check_path(spec, sub, schema, arguments)?;
            check_value("", value, arguments)?;
        }
    }
    Ok(Some(schema))
}

fn resolve<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => named(spec, reference),
    }
}

fn resolve_boxed<'a>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<Box<Schema>>,
) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => named(spec, reference),
    }
}

fn named<'a>(spec: &'a OpenAPI, reference: &str) -> Option<&'a Schema> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    spec.components.as_ref()?.schemas.get(name)?.as_item()
}

/// The schema of an operation's 2xx JSON answer.
fn answer_schema<'a>(spec: &'a OpenAPI, op: &'a openapiv3::Operation) -> Option<&'a Schema> {
    let response = op
        .responses
        .responses
        .iter()
        .find_map(|(status, r)| match status {
            openapiv3::StatusCode::Code(200..=299) => crate::validate::resolve_response(spec, r),
            _ => None,
        })?;
    resolve(
        spec,
        response.content.get("application/json")?.schema.as_ref()?,
    )
}

/// The operation with this operationId, and its path.
fn find_operation<'a>(spec: &'a OpenAPI, id: &str) -> Option<(&'a openapiv3::Operation, &'a str)> {
    spec.operations()
        .find(|(_, _, op)| op.operation_id.as_deref() == Some(id))
        .map(|(path, _, op)| (op, path))
}

/// The names of an operation's required path and query parameters.
fn required_inputs(op: &openapiv3::Operation) -> Vec<String> {
    op.parameters
        .iter()
        .filter_map(ReferenceOr::as_item)
        .filter_map(|p| match p {
            Parameter::Path { parameter_data, .. } | Parameter::Query { parameter_data, .. }
                if parameter_data.required =>
            {
                Some(parameter_data.name.clone())
            }
            _ => None,
        })
        .collect()
}

/// The names of an operation's inputs: path and query parameters, top-level body fields.
fn inputs(spec: &OpenAPI, op: &openapiv3::Operation) -> BTreeSet<String> {
    let mut names: BTreeSet<String> =
        op.parameters
            .iter()
            .filter_map(ReferenceOr::as_item)
            .filter_map(|p| match p {
                Parameter::Path { parameter_data, .. }
                | Parameter::Query { parameter_data, .. } => Some(parameter_data.name.clone()),
                _ => None,
            })
            .collect();
    let body = op
        .request_body
        .as_ref()
        .and_then(ReferenceOr::as_item)
        .and_then(|b| b.content.get("application/json")?.schema.as_ref())
        .and_then(|s| resolve(spec, s));
    if let Some(SchemaKind::Type(Type::Object(object))) = body.map(|s| &s.schema_kind) {
        names.extend(object.properties.keys().cloned());
    }
    names
}
