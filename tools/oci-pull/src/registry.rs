//! The HTTP side of the distribution API: GETs under `/v2/`, with bearer-token
//! authentication done when (and each time) the registry answers 401 with a
//! `WWW-Authenticate: Bearer realm=...,service=...` challenge.
//!
//! Redirects (blob downloads often go to object storage) are followed and never carry the
//! `Authorization` header.

use std::time::Duration;

use ureq::http::Response;
use ureq::Body;

use crate::challenge::Challenge;
use crate::reference::Reference;
use crate::PullError;

/// A registry session for one repository.
pub struct Registry {
    agent: ureq::Agent,
    base: String,
    repository: String,
    token: Option<String>,
}

/// A response whose status is known to be 200.
pub type Ok200 = Response<Body>;

impl Registry {
    /// Plain HTTP when `insecure` or the registry is on loopback; HTTPS otherwise.
    pub fn new(reference: &Reference, insecure: bool) -> Registry {
        let plain = insecure || reference.is_loopback();
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_per_read(Some(Duration::from_secs(120)))
            .user_agent("cyrius-oci-pull/0.1");
        if reference.is_loopback() {
            config = config.proxy(None);
        }
        Registry {
            agent: config.build().into(),
            base: format!("{}://{}", if plain { "http" } else { "https" }, reference.api_host()),
            repository: reference.repository.clone(),
            token: None,
        }
    }

    /// `GET /v2/`: checks that a registry answers (authenticating if it asks).
    pub fn ping(&mut self) -> Result<(), PullError> {
        self.get("/v2/", "application/json", "the registry API").map(drop)
    }

    /// `GET /v2/<repository>/<kind>/<reference>`.
    pub fn get_object(&mut self, kind: &str, reference: &str, accept: &str, what: &str) -> Result<Ok200, PullError> {
        let path = format!("/v2/{}/{kind}/{reference}", self.repository);
        self.get(&path, accept, what)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&mut self, path: &str, accept: &str, what: &str) -> Result<Ok200, PullError> {
        let url = self.url(path);
        let mut authenticated = false;
        loop {
            let mut request = self.agent.get(&url).header("Accept", accept);
            if let Some(token) = &self.token {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            let mut response = request.call().map_err(|e| PullError::Connect { url: url.clone(), why: e.to_string() })?;
            let status = response.status().as_u16();
            if status == 401 && !authenticated {
                let header = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("");
                let challenge = Challenge::parse(header);
                self.authenticate(challenge, &url)?;
                authenticated = true;
                continue;
            }
            if status != 200 {
                let detail = error_detail(&mut response);
                return Err(PullError::Status { what: what.to_string(), url, status, detail });
            }
            return Ok(response);
        }
    }

    /// Gets a token from the challenge's realm for pulling this repository.
    fn authenticate(&mut self, challenge: Option<Challenge>, url: &str) -> Result<(), PullError> {
        let auth = |why: String| PullError::Auth { url: url.to_string(), why };
        let challenge = challenge.ok_or_else(|| auth("401 without a WWW-Authenticate challenge".into()))?;
        if challenge.scheme != "bearer" {
            return Err(auth(format!(
                "the registry wants {} authentication (credentials), which oci-pull does not support; only anonymous bearer tokens",
                challenge.scheme
            )));
        }
        let realm = challenge.param("realm").ok_or_else(|| auth("bearer challenge without a realm".into()))?;
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(auth(format!("bearer realm {realm:?} is not an http(s) URL")));
        }
        let scope = challenge.param("scope").map(str::to_string).unwrap_or_else(|| format!("repository:{}:pull", self.repository));
        let mut request = self.agent.get(realm).query("scope", &scope);
        if let Some(service) = challenge.param("service") {
            request = request.query("service", service);
        }
        let mut response = request.call().map_err(|e| PullError::Connect { url: realm.to_string(), why: e.to_string() })?;
        let status = response.status().as_u16();
        if status != 200 {
            let detail = error_detail(&mut response);
            return Err(auth(format!("token request to {realm} answered {status}{detail}")));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| auth(format!("reading the token: {e}")))?;
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| auth(format!("token response is not JSON: {e}")))?;
        let token = json
            .get("token")
            .or_else(|| json.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_graphic()))
            .ok_or_else(|| auth("token response has no usable \"token\"".into()))?;
        self.token = Some(token.to_string());
        Ok(())
    }
}

/// ` (CODE: message)` from a registry error body, or empty.
fn error_detail(response: &mut Response<Body>) -> String {
    let body = response.body_mut().with_config().limit(64 << 10).read_to_vec().unwrap_or_default();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let first = &json["errors"][0];
    match (first["code"].as_str(), first["message"].as_str()) {
        (Some(code), Some(msg)) => format!(" ({code}: {msg})"),
        (Some(code), None) => format!(" ({code})"),
        _ => String::new(),
    }
}
