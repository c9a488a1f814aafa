//! Genesys Cloud regions and the two base URLs a client needs (API host and login host).

use std::fmt;
use url::Url;

/// A region as the official SDKs name it (`PureCloudRegionHosts`), see API-FACTS §1.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// AWS-style name, e.g. `us-east-1`.
    pub name: &'static str,
    /// Domain shared by the API and login hosts, e.g. `mypurecloud.com`.
    pub domain: &'static str,
}

pub const REGIONS: &[Region] = &[
    Region {
        name: "us-east-1",
        domain: "mypurecloud.com",
    },
    Region {
        name: "eu-west-1",
        domain: "mypurecloud.ie",
    },
    Region {
        name: "ap-southeast-2",
        domain: "mypurecloud.com.au",
    },
    Region {
        name: "ap-northeast-1",
        domain: "mypurecloud.jp",
    },
    Region {
        name: "eu-central-1",
        domain: "mypurecloud.de",
    },
    Region {
        name: "us-west-2",
        domain: "usw2.pure.cloud",
    },
    Region {
        name: "ca-central-1",
        domain: "cac1.pure.cloud",
    },
    Region {
        name: "ap-northeast-2",
        domain: "apne2.pure.cloud",
    },
    Region {
        name: "eu-west-2",
        domain: "euw2.pure.cloud",
    },
    Region {
        name: "ap-south-1",
        domain: "aps1.pure.cloud",
    },
    Region {
        name: "us-east-2",
        domain: "use2.us-gov-pure.cloud",
    },
    Region {
        name: "sa-east-1",
        domain: "sae1.pure.cloud",
    },
    Region {
        name: "me-central-1",
        domain: "mec1.pure.cloud",
    },
    Region {
        name: "ap-northeast-3",
        domain: "apne3.pure.cloud",
    },
    Region {
        name: "eu-central-2",
        domain: "euc2.pure.cloud",
    },
    Region {
        name: "mx-central-1",
        domain: "mxc1.pure.cloud",
    },
    Region {
        name: "ap-southeast-1",
        domain: "apse1.pure.cloud",
    },
    Region {
        name: "eusc-de-east-1",
        domain: "edee1.eusc-pure.cloud",
    },
];

impl Region {
    /// Accepts `us-east-1`, the SDK enum spelling `us_east_1`, or the domain `mypurecloud.com`
    /// (with or without a leading `api.`/`login.`), case-insensitively.
    pub fn lookup(input: &str) -> Option<&'static Region> {
        let wanted = input.trim().to_ascii_lowercase().replace('_', "-");
        let wanted = wanted
            .strip_prefix("api.")
            .or_else(|| wanted.strip_prefix("login."))
            .unwrap_or(&wanted);
        REGIONS
            .iter()
            .find(|r| r.name == wanted || r.domain == wanted)
    }

    pub fn endpoints(&self) -> Endpoints {
        let api =
            Url::parse(&format!("https://api.{}", self.domain)).expect("static host is valid");
        let login =
            Url::parse(&format!("https://login.{}", self.domain)).expect("static host is valid");
        Endpoints { api, login }
    }
}

/// Where the client sends API calls and token grants. Always two URLs, as in production.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub api: Url,
    pub login: Url,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error(
        "unknown Genesys region {0:?}; use a region name such as us-east-1 or explicit base URLs"
    )]
    UnknownRegion(String),
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot derive the login host from {0:?} (it does not start with `api.`); set the login base URL explicitly")]
    CannotDeriveLogin(String),
}

impl Endpoints {
    pub fn for_region(name: &str) -> Result<Self, EndpointError> {
        Region::lookup(name)
            .map(Region::endpoints)
            .ok_or_else(|| EndpointError::UnknownRegion(name.to_owned()))
    }

    /// Explicit base URLs (simulator, proxies, regions newer than this list). Without a login
    /// URL it is derived as the SDKs do: the API host's leading `api.` becomes `login.`.
    pub fn from_urls(api: &str, login: Option<&str>) -> Result<Self, EndpointError> {
        let api = parse_base(api)?;
        let login = match login {
            Some(l) => parse_base(l)?,
            None => derive_login(&api)?,
        };
        Ok(Self { api, login })
    }
}

/// `base` with `path` appended to its own path: a proxy prefix is kept (`Url::join` would
/// replace the last segment of a base without a trailing slash).
pub fn with_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}/{}", path.trim_start_matches('/')));
    url
}

fn parse_base(raw: &str) -> Result<Url, EndpointError> {
    let invalid = |reason: &str| EndpointError::InvalidUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid("scheme must be https (or http for local testing)"));
    }
    if url.host_str().is_none() {
        return Err(invalid("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    Ok(url)
}

fn derive_login(api: &Url) -> Result<Url, EndpointError> {
    let host = api.host_str().unwrap_or_default();
    let rest = host
        .strip_prefix("api.")
        .ok_or_else(|| EndpointError::CannotDeriveLogin(api.to_string()))?;
    let mut login = api.clone();
    login
        .set_host(Some(&format!("login.{rest}")))
        .map_err(|e| EndpointError::InvalidUrl {
            url: api.to_string(),
            reason: e.to_string(),
        })?;
    Ok(login)
}

impl fmt::Display for Endpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api={} login={}", self.api, self.login)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn paths_keep_a_proxy_prefix() {
        for base in ["https://proxy.example/gl", "https://proxy.example/gl/"] {
            let b = Url::parse(base).unwrap();
            assert_eq!(
                with_path(&b, "oauth/token").as_str(),
                "https://proxy.example/gl/oauth/token"
            );
            assert_eq!(
                with_path(&b, "/api/v2/users/x").as_str(),
                "https://proxy.example/gl/api/v2/users/x"
            );
        }
        let plain = Url::parse("https://login.mypurecloud.com").unwrap();
        assert_eq!(
            with_path(&plain, "oauth/token").as_str(),
            "https://login.mypurecloud.com/oauth/token"
        );
    }

    use super::*;

    #[test]
    fn every_region_derives_login_like_the_sdks() {
        for r in REGIONS {
            let e = r.endpoints();
            assert_eq!(e.api.host_str().unwrap(), format!("api.{}", r.domain));
            let derived = Endpoints::from_urls(e.api.as_str(), None).unwrap();
            assert_eq!(derived.login, e.login, "{}", r.name);
        }
        assert_eq!(REGIONS.len(), 18);
    }

    #[test]
    fn lookup_accepts_sdk_and_domain_spellings() {
        for input in [
            "us-east-1",
            "US_EAST_1",
            "mypurecloud.com",
            "api.mypurecloud.com",
        ] {
            assert_eq!(Region::lookup(input).unwrap().name, "us-east-1", "{input}");
        }
        assert_eq!(
            Region::lookup("eu_west_1").unwrap().domain,
            "mypurecloud.ie"
        );
        assert_eq!(
            Region::lookup("use2.us-gov-pure.cloud").unwrap().name,
            "us-east-2"
        );
        assert!(Region::lookup("mars-north-1").is_none());
    }

    #[test]
    fn token_host_is_login_not_api() {
        let e = Endpoints::for_region("us-east-1").unwrap();
        assert_eq!(e.login.as_str(), "https://login.mypurecloud.com/");
        assert_eq!(e.api.as_str(), "https://api.mypurecloud.com/");
    }

    #[test]
    fn explicit_urls_for_the_simulator_need_both() {
        assert!(matches!(
            Endpoints::from_urls("http://127.0.0.1:4000", None),
            Err(EndpointError::CannotDeriveLogin(_))
        ));
        let e =
            Endpoints::from_urls("http://127.0.0.1:4000", Some("http://127.0.0.1:4001")).unwrap();
        assert_eq!(e.login.port(), Some(4001));
    }

    #[test]
    fn rejects_bad_urls() {
        assert!(Endpoints::from_urls("ftp://api.x.com", None).is_err());
        assert!(Endpoints::from_urls("not a url", None).is_err());
        assert!(Endpoints::from_urls("https://api.x.com/?a=b", None).is_err());
        assert!(Endpoints::for_region("nowhere").is_err());
    }
}
