//! An identity provider's authority URL: which cloud it belongs to, where its OpenID
//! discovery document lives, and which token issuers it may sign for.
//!
//! Entra ID authorities (global, Azure China, US Gov) have fixed issuer forms for v1
//! and v2 tokens. Any other authority is a plain OpenID provider (a local one for
//! development and tests); its issuer is the one its discovery document names.

use std::net::IpAddr;

use reqwest::Url;

/// The cloud an authority belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// `login.microsoftonline.com`.
    Global,
    /// Azure China (21Vianet): `login.partner.microsoftonline.cn`, legacy `login.chinacloudapi.cn`.
    China,
    /// Azure US Government: `login.microsoftonline.us`.
    UsGovernment,
    /// Any other OpenID provider.
    Generic,
}

impl Cloud {
    fn of_host(host: &str) -> Self {
        match host {
            "login.microsoftonline.com" => Self::Global,
            "login.partner.microsoftonline.cn" | "login.chinacloudapi.cn" => Self::China,
            "login.microsoftonline.us" => Self::UsGovernment,
            _ => Self::Generic,
        }
    }

    pub fn is_entra(self) -> bool {
        self != Self::Generic
    }
}

/// A checked authority for one tenant.
#[derive(Debug, Clone)]
pub struct Authority {
    base: Url,
    cloud: Cloud,
    tenant_id: String,
}

/// Why an authority URL (or a tenant id) cannot be used; each says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    #[error(
        "tenant id {0:?} is not a tenant id; use the Directory (tenant) ID from the Entra admin center"
    )]
    TenantId(String),
    #[error(
        "authority {authority:?} names the multi-tenant alias {alias:?}; a server must use its own tenant: https://{host}/{tenant_id}"
    )]
    MultiTenantAlias {
        authority: String,
        alias: String,
        host: String,
        tenant_id: String,
    },
    #[error(
        "authority {authority:?} does not name tenant {tenant_id}; use https://{host}/{tenant_id}"
    )]
    OtherTenant {
        authority: String,
        host: String,
        tenant_id: String,
    },
    #[error("authority {authority:?} is not a URL: {reason}")]
    NotAUrl { authority: String, reason: String },
    #[error("authority {0:?} has no host")]
    NoHost(String),
    #[error(
        "authority {0:?} uses plain http; that is accepted only on loopback (for local identity providers). Use https"
    )]
    PlainHttp(String),
    #[error("authority {authority:?} has scheme {scheme}; use https")]
    Scheme { authority: String, scheme: String },
    #[error("authority {0:?} must not carry a query or fragment")]
    QueryOrFragment(String),
    #[error("authority {authority:?} names no tenant; use https://{host}/<tenant-id>")]
    NoTenant { authority: String, host: String },
}

/// Tenant aliases that stand for many tenants; a server must name its own.
const MULTI_TENANT_ALIASES: [&str; 3] = ["common", "organizations", "consumers"];

impl Authority {
    /// Checks `authority` for a server of `tenant_id`: [`Authority::parse_any`]'s
    /// rules, and for Entra clouds a path that names this very tenant.
    pub fn parse(authority: &str, tenant_id: &str) -> Result<Self, AuthorityError> {
        let tenant_id = tenant_id.trim();
        if tenant_id.is_empty() || tenant_id.contains(['/', '?', '#']) {
            return Err(AuthorityError::TenantId(tenant_id.to_string()));
        }
        let mut parsed = Self::parse_any(authority)?;
        if parsed.cloud.is_entra() {
            let host = parsed.base.host_str().unwrap_or_default();
            let segment = parsed.tenant_id.to_ascii_lowercase();
            if MULTI_TENANT_ALIASES.contains(&segment.as_str()) {
                return Err(AuthorityError::MultiTenantAlias {
                    authority: authority.to_string(),
                    alias: segment,
                    host: host.to_string(),
                    tenant_id: tenant_id.to_string(),
                });
            }
            if segment != tenant_id.to_ascii_lowercase() {
                return Err(AuthorityError::OtherTenant {
                    authority: authority.to_string(),
                    host: host.to_string(),
                    tenant_id: tenant_id.to_string(),
                });
            }
        }
        parsed.tenant_id = tenant_id.to_string();
        Ok(parsed)
    }

    /// Checks `authority` as a client signing in sees it: `https` (plain `http` only on
    /// loopback), no query or fragment. For Entra clouds the tenant is the first path
    /// segment (which may be an alias such as `organizations`).
    pub fn parse_any(authority: &str) -> Result<Self, AuthorityError> {
        let base = Url::parse(authority.trim().trim_end_matches('/')).map_err(|error| {
            AuthorityError::NotAUrl {
                authority: authority.to_string(),
                reason: error.to_string(),
            }
        })?;
        let host = base
            .host_str()
            .ok_or_else(|| AuthorityError::NoHost(authority.to_string()))?
            .to_ascii_lowercase();
        match base.scheme() {
            "https" => {}
            "http" if is_loopback_host(&host) => {}
            "http" => {
                return Err(AuthorityError::PlainHttp(authority.to_string()));
            }
            other => {
                return Err(AuthorityError::Scheme {
                    authority: authority.to_string(),
                    scheme: other.to_string(),
                });
            }
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(AuthorityError::QueryOrFragment(authority.to_string()));
        }
        let cloud = Cloud::of_host(&host);
        let tenant_id = if cloud.is_entra() {
            base.path_segments()
                .and_then(|mut segments| segments.next())
                .filter(|segment| !segment.is_empty())
                .ok_or_else(|| AuthorityError::NoTenant {
                    authority: authority.to_string(),
                    host: host.clone(),
                })?
                .to_string()
        } else {
            String::new()
        };
        Ok(Self {
            base,
            cloud,
            tenant_id,
        })
    }

    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The authority URL without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The OpenID issuer URL to discover: Entra's v2 endpoint, or the authority itself.
    pub fn issuer_url(&self) -> String {
        if self.cloud.is_entra() {
            format!("{}/v2.0", self.as_str())
        } else {
            self.as_str().to_string()
        }
    }

    /// Where the discovery document is.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer_url())
    }

    /// The issuers a token may name, v2 and v1 forms. Empty for a generic provider,
    /// whose issuer comes from its discovery document.
    pub fn entra_issuers(&self) -> Vec<String> {
        let tid = &self.tenant_id;
        match self.cloud {
            Cloud::Global => vec![
                format!("https://login.microsoftonline.com/{tid}/v2.0"),
                format!("https://sts.windows.net/{tid}/"),
            ],
            Cloud::China => vec![
                format!("https://login.partner.microsoftonline.cn/{tid}/v2.0"),
                format!("https://login.chinacloudapi.cn/{tid}/v2.0"),
                format!("https://sts.chinacloudapi.cn/{tid}/"),
            ],
            // US Government v1 tokens are issued by the same STS host as global ones.
            Cloud::UsGovernment => vec![
                format!("https://login.microsoftonline.us/{tid}/v2.0"),
                format!("https://sts.windows.net/{tid}/"),
            ],
            Cloud::Generic => Vec::new(),
        }
    }

    /// Whether `url` (an issuer or key-set address from discovery) is served from this
    /// authority's origin: scheme, host and port.
    pub fn same_origin(&self, url: &str) -> bool {
        Url::parse(url).is_ok_and(|url| url.origin() == self.base.origin())
    }
}

/// `localhost` or a loopback IP literal.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    #[test]
    fn entra_clouds_and_their_issuers() {
        let global =
            Authority::parse(&format!("https://login.microsoftonline.com/{TID}/"), TID).unwrap();
        assert_eq!(global.cloud(), Cloud::Global);
        assert_eq!(
            global.discovery_url(),
            format!(
                "https://login.microsoftonline.com/{TID}/v2.0/.well-known/openid-configuration"
            )
        );
        assert!(
            global
                .entra_issuers()
                .contains(&format!("https://sts.windows.net/{TID}/"))
        );

        let china = Authority::parse(
            &format!("https://login.partner.microsoftonline.cn/{TID}"),
            TID,
        )
        .unwrap();
        assert_eq!(china.cloud(), Cloud::China);
        assert_eq!(
            china.entra_issuers(),
            [
                format!("https://login.partner.microsoftonline.cn/{TID}/v2.0"),
                format!("https://login.chinacloudapi.cn/{TID}/v2.0"),
                format!("https://sts.chinacloudapi.cn/{TID}/"),
            ]
        );
        let gov =
            Authority::parse(&format!("https://login.microsoftonline.us/{TID}"), TID).unwrap();
        assert_eq!(gov.cloud(), Cloud::UsGovernment);
        assert_eq!(
            gov.entra_issuers()[0],
            format!("https://login.microsoftonline.us/{TID}/v2.0")
        );
    }

    #[test]
    fn refuses_authorities_that_would_weaken_the_check() {
        let cases = [
            ("http://login.microsoftonline.com/t", "plain http"),
            (
                "https://login.microsoftonline.com/common",
                "multi-tenant alias",
            ),
            (
                "https://login.microsoftonline.com/other-tenant",
                "does not name tenant",
            ),
            ("https://idp.example.com/?x=1", "query"),
            ("ftp://idp.example.com", "scheme"),
            ("not a url", "not a URL"),
        ];
        for (authority, expected) in cases {
            let error = Authority::parse(authority, "t").unwrap_err().to_string();
            assert!(error.contains(expected), "{authority}: {error}");
        }
        assert!(Authority::parse("https://x", "a/b").is_err());
    }

    #[test]
    fn plain_http_only_on_loopback_and_generic_discovery() {
        for local in [
            "http://127.0.0.1:9000",
            "http://localhost:9000/",
            "http://[::1]:1",
        ] {
            let authority = Authority::parse(local, "t").unwrap();
            assert_eq!(authority.cloud(), Cloud::Generic);
            assert!(authority.entra_issuers().is_empty());
            assert_eq!(
                authority.discovery_url(),
                format!(
                    "{}/.well-known/openid-configuration",
                    local.trim_end_matches('/')
                )
            );
        }
        assert!(Authority::parse("http://10.0.0.1:9000", "t").is_err());
        let local = Authority::parse("http://127.0.0.1:9000", "t").unwrap();
        assert!(local.same_origin("http://127.0.0.1:9000/jwks"));
        assert!(!local.same_origin("http://127.0.0.1:9001/jwks"));
        assert!(!local.same_origin("https://127.0.0.1:9000/jwks"));
    }
}
