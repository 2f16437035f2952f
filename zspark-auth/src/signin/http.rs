//! The HTTP client `openidconnect` talks through: our rustls `reqwest` client, with
//! redirects off (a token endpoint that redirects is a misconfiguration, and following
//! it would open the door to request forgery).

use std::future::Future;
use std::pin::Pin;

use openidconnect::http;
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

pub struct OidcHttp(pub reqwest::Client);

impl<'c> AsyncHttpClient<'c> for OidcHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let url = request.uri().to_string();
            let request = reqwest::Request::try_from(request)
                .map_err(|error| HttpError(format!("cannot send a request to {url}: {error}")))?;
            let response = self
                .0
                .execute(request)
                .await
                .map_err(|error| HttpError(format!("cannot reach {url}: {error}")))?;
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response
                .bytes()
                .await
                .map_err(|error| HttpError(format!("cannot read the answer of {url}: {error}")))?;
            builder
                .body(body.to_vec())
                .map_err(|error| HttpError(error.to_string()))
        })
    }
}

/// An error and its causes on one line.
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
