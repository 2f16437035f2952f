//! The OpenAPI document's frame: title, the schemas of the parameters every route names
//! alike ([`ParameterRules`]), the two ways to authenticate, and the error answers every
//! route shares, added here once instead of on each handler. The
//! handlers' own annotations say what is particular to them (their bodies, 403, 409
//! for a stale append, ...); [`StandardAnswers`] adds what follows from the route's
//! shape: any authenticated route can answer 400, 401, 429 and 503, a route with an id
//! in its path 404, a route that changes something 409 (what it refers to was deleted
//! meanwhile), and one that reads a body 408 and 413, plus 415 and 422 for JSON.
//! [`complete`] applies them once the routes have added their paths.

use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, OpenApi as Document, Ref, RefOr, ResponseBuilder, SecurityRequirement,
};
use utoipa::{Modify, OpenApi};
use zspark_api::rules;

use crate::auth::DEV_HEADER;

#[derive(OpenApi)]
#[openapi(info(
    title = "zspark server",
    description = "Shared workspaces for zspark: members and roles, sessions with their conversation items, activity, artifacts. Every /v1 route needs authentication: an Entra ID access token, or with `zspark serve --dev` the user's name in X-Domain-User."
))]
pub struct ApiDoc;

/// Completes the document the routes produced: the parameters' rules, the security
/// schemes and the shared error answers.
pub fn complete(mut document: Document) -> Document {
    ParameterRules.modify(&mut document);
    Authentication.modify(&mut document);
    StandardAnswers.modify(&mut document);
    document
}

const ENTRA: &str = "entra";
const DEVELOPMENT: &str = "development";

/// Parameters of one name mean one thing everywhere; their schemas come from
/// [`rules`], the expressions the server checks them with. Only text parameters are
/// touched (the items' `after` is a number, the live feed's an entry id).
struct ParameterRules;

impl ParameterRules {
    fn schema_for(name: &str) -> Option<ObjectBuilder> {
        Some(match name {
            "workspace_id" | "session_id" | "artifact_id" | "after" => rules::schema::uuid(),
            "principal" => rules::schema::principal_key(),
            "name" => rules::schema::artifact_name(),
            "cursor" => rules::schema::cursor(),
            "x-content-sha256" => rules::schema::sha256_hex(),
            _ => return None,
        })
    }
}

impl Modify for ParameterRules {
    fn modify(&self, document: &mut Document) {
        for (_, _, operation) in operations(document) {
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else {
                    continue;
                };
                let is_text = parameter.schema.as_ref().is_some_and(is_text);
                if let (true, Some(schema)) = (is_text, Self::schema_for(&parameter.name)) {
                    parameter.schema = Some(schema.into());
                }
            }
        }
    }
}

fn is_text(schema: &RefOr<Schema>) -> bool {
    let RefOr::T(Schema::Object(object)) = schema else {
        return false;
    };
    match &object.schema_type {
        SchemaType::Type(only) => *only == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

/// The security schemes, required on every /v1 route (either one).
struct Authentication;

impl Modify for Authentication {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            ENTRA,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An Entra ID access token for the server's API scope."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            DEVELOPMENT,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                DEV_HEADER,
                "Development mode only (`zspark serve --dev`, loopback): the user's name.",
            ))),
        );
        let either = [
            SecurityRequirement::new(ENTRA, Vec::<String>::new()),
            SecurityRequirement::new(DEVELOPMENT, Vec::<String>::new()),
        ];
        for (path, _, operation) in operations(document) {
            if path.starts_with("/v1/") {
                operation.security = Some(either.to_vec());
            }
        }
    }
}

/// The error answers that follow from a route's shape.
struct StandardAnswers;

impl Modify for StandardAnswers {
    fn modify(&self, document: &mut Document) {
        for (path, method, operation) in operations(document) {
            if !path.starts_with("/v1/") {
                continue;
            }
            let mut answers = vec![
                (400, "A path or query parameter, or a header, is malformed."),
                (401, "Not authenticated."),
                (429, "Too many requests; see Retry-After."),
                (
                    503,
                    "Authentication cannot be checked right now (the identity provider is unreachable or not configured).",
                ),
            ];
            if path.contains('{') {
                answers.push((404, "The workspace, or what the path names in it, does not exist or is not visible to the caller."));
            }
            if method != HttpMethod::Get {
                answers.push((
                    409,
                    "Something the request refers to was deleted or changed meanwhile.",
                ));
            }
            if let Some(RefOr::T(body)) = &operation.request_body {
                answers.push((408, "The body stopped arriving."));
                answers.push((413, "The body is larger than the server accepts."));
                if body.content.contains_key("application/json") {
                    answers.push((415, "The body is not sent as application/json."));
                    answers.push((422, "The body does not follow the schema."));
                }
            }
            for (status, description) in answers {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error_answer(description));
            }
        }
    }
}

fn error_answer(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build(),
    )
}

/// Every operation of the document, with its path and method.
fn operations(document: &mut Document) -> Vec<(String, HttpMethod, &mut Operation)> {
    let mut found = Vec::new();
    for (path, item) in document.paths.paths.iter_mut() {
        let methods = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, operation) in methods {
            if let Some(operation) = operation {
                found.push((path.clone(), method, operation));
            }
        }
    }
    found
}
