//! Where pushes may go. A bank names its receiver by URL; nothing in that URL may turn a
//! delivery toward the city's own network: the URL is checked when it is subscribed (scheme,
//! no user or password, no control characters, no address of an inner network however it is
//! spelled), and when a delivery connects, the addresses its host resolves to are checked
//! again and the connection goes to an address that passed (there is no second lookup).
//! Operators name the inner networks their receivers really are in (a closed bank network).
//! Names are looked up through the [`Names`] the application is built with: the system's in
//! `serve`, a fixed table in tests and contract runs (nothing is looked up outside it).

use ipnet::IpNet;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Where receivers' host names are looked up.
#[derive(Debug, Clone, Default)]
pub enum Names {
    /// The system's resolver.
    #[default]
    System,
    /// Only this table (lower-case names): a name not in it does not resolve, and nothing is
    /// asked of any name server.
    Fixed(Arc<HashMap<String, Vec<IpAddr>>>),
}

impl Names {
    /// A fixed table of `(name, address)` pairs.
    pub fn fixed(pairs: impl IntoIterator<Item = (String, IpAddr)>) -> Self {
        let mut table: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (name, ip) in pairs {
            table
                .entry(name.trim_end_matches('.').to_ascii_lowercase())
                .or_default()
                .push(ip);
        }
        Self::Fixed(Arc::new(table))
    }

    /// The addresses of `host`.
    pub async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        match self {
            Self::System => Ok(tokio::net::lookup_host((host, 0))
                .await?
                .map(|a| a.ip())
                .collect()),
            Self::Fixed(table) => table
                .get(&host.trim_end_matches('.').to_ascii_lowercase())
                .cloned()
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{host}: no such name"),
                    )
                }),
        }
    }
}

/// Why a receiver's URL or address is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a URL, or not of a scheme taken here.
    Scheme,
    /// It carries a user name or password.
    Userinfo,
    /// It has control or invisible characters (CR LF …).
    Control,
    /// It names no host.
    NoHost,
    /// Its host is, or resolves to, an address of an inner network.
    Inner(IpAddr),
}

/// The networks no delivery goes to unless an operator allows them: this host, private and
/// shared address space, link-local, unique-local, multicast, documentation, unspecified.
fn is_inner_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240 // reserved
}

fn is_inner_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_inner_v4(v4);
    }
    let s = ip.segments();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4
        // address that may be an inner one: judged by it.
        || (s[..6] == [0; 6] && is_inner_v4(embedded_v4(s[6], s[7])))
        || (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && is_inner_v4(embedded_v4(s[6], s[7])))
        || (s[0] == 0x2002 && is_inner_v4(embedded_v4(s[1], s[2])))
}

fn embedded_v4(hi: u16, lo: u16) -> Ipv4Addr {
    Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))
}

/// Whether `ip` is of an inner network (see [`is_inner_v4`]).
pub fn is_inner(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_inner_v4(v4),
        IpAddr::V6(v6) => is_inner_v6(v6),
    }
}

/// The rule deliveries follow: which schemes, which inner networks an operator allows.
#[derive(Debug, Clone, Default)]
pub struct Receivers {
    /// Accept `http://` receivers; otherwise `https://` only.
    pub allow_http: bool,
    /// Inner networks deliveries may go to all the same.
    pub allowed: Arc<[IpNet]>,
    /// Where host names are looked up.
    pub names: Names,
}

impl Receivers {
    /// Whether a delivery may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        !is_inner(ip) || self.allowed.iter().any(|n| n.contains(&ip))
    }

    /// Checks a receiver's URL as given (before any parser tidies it up).
    pub fn check_url(&self, raw: &str) -> Result<reqwest::Url, Refused> {
        if raw
            .chars()
            .any(|c| c.is_control() || pledge_domain::is_invisible(c) || c == ' ')
        {
            return Err(Refused::Control);
        }
        let url = reqwest::Url::parse(raw).map_err(|_| Refused::Scheme)?;
        let scheme_ok = url.scheme() == "https" || (self.allow_http && url.scheme() == "http");
        if !scheme_ok {
            return Err(Refused::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::Userinfo);
        }
        // The parser has already read every spelling of an address (2130706433, 0x7f.1,
        // 127.1, [::ffff:7f00:1]) as the address it is.
        match url.host() {
            None => Err(Refused::NoHost),
            Some(url::Host::Ipv4(ip)) if !self.permits(IpAddr::V4(ip)) => {
                Err(Refused::Inner(IpAddr::V4(ip)))
            }
            Some(url::Host::Ipv6(ip)) if !self.permits(IpAddr::V6(ip)) => {
                Err(Refused::Inner(IpAddr::V6(ip)))
            }
            Some(url::Host::Domain(d)) if is_local_name(d) => {
                Err(Refused::Inner(IpAddr::V4(Ipv4Addr::LOCALHOST)))
            }
            Some(_) => Ok(url),
        }
    }

    /// A resolver for the delivery client that answers only addresses this rule permits,
    /// so the connection is made to an address that was checked.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { rule: self.clone() })
    }
}

/// Certificates a receiver's own certificate authority may bring (a root and intermediates).
pub const CA_CERTIFICATES: usize = 8;

/// The certificates of a receiver's own certificate authority, in PEM: one to
/// [`CA_CERTIFICATES`], each one a client can be built to trust; `None` otherwise.
pub fn receiver_ca(pem: &str) -> Option<Vec<reqwest::Certificate>> {
    let certificates = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).ok()?;
    if certificates.is_empty() || certificates.len() > CA_CERTIFICATES {
        return None;
    }
    // A root store takes only what parses as a certificate: a client built with them says so.
    trusting(reqwest::Client::builder(), &certificates)
        .build()
        .ok()?;
    Some(certificates)
}

/// `builder` trusting only `certificates` (not the usual roots).
pub fn trusting(
    builder: reqwest::ClientBuilder,
    certificates: &[reqwest::Certificate],
) -> reqwest::ClientBuilder {
    certificates
        .iter()
        .cloned()
        .fold(builder.tls_built_in_root_certs(false), |b, c| {
            b.add_root_certificate(c)
        })
}

/// Names that are this host whatever the resolver says.
fn is_local_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

/// The delivery client's name resolution: the system's, with inner addresses taken out.
#[derive(Debug)]
pub struct GuardedResolver {
    rule: Receivers,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let rule = self.rule.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if is_local_name(&host) {
                return Err(Box::new(RefusedAddress(host)) as _);
            }
            let found = rule.names.lookup(&host).await?;
            let permitted: Vec<SocketAddr> = found
                .into_iter()
                .filter(|ip| rule.permits(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if permitted.is_empty() {
                return Err(Box::new(RefusedAddress(host)) as _);
            }
            Ok(Box::new(permitted.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A receiver's host resolved to inner addresses only.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves to no address deliveries may go to")]
pub struct RefusedAddress(String);

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Receivers {
        Receivers {
            allow_http: true,
            allowed: Arc::new([]),
            names: Names::fixed([("bank.test".to_owned(), IpAddr::from([203, 0, 114, 7]))]),
        }
    }

    #[test]
    fn every_spelling_of_an_inner_address_is_refused() {
        for url in [
            "https://127.0.0.1:5432/",
            "http://[::1]:5432/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:101::]/",
            "http://10.0.0.8/",
            "http://172.16.3.4/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://224.0.0.1/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[ff02::1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
        ] {
            assert!(
                matches!(rule().check_url(url), Err(Refused::Inner(_))),
                "{url}: {:?}",
                rule().check_url(url)
            );
        }
    }

    #[test]
    fn userinfo_control_characters_and_other_schemes_are_refused() {
        let r = rule();
        assert_eq!(
            r.check_url("https://user:pass@bank.example/"),
            Err(Refused::Userinfo)
        );
        assert_eq!(
            r.check_url("https://bank.example@10.0.0.1/"),
            Err(Refused::Userinfo)
        );
        assert_eq!(
            r.check_url("https://bank.example/\r\nX-Injected: 1"),
            Err(Refused::Control)
        );
        assert_eq!(
            r.check_url("https://bank.exa\tmple/"),
            Err(Refused::Control)
        );
        assert_eq!(r.check_url("file:///etc/passwd"), Err(Refused::Scheme));
        assert_eq!(r.check_url("gopher://bank.example/"), Err(Refused::Scheme));
        let https_only = Receivers {
            allow_http: false,
            ..rule()
        };
        assert_eq!(
            https_only.check_url("http://bank.example/"),
            Err(Refused::Scheme)
        );
        assert!(r.check_url("https://push.bank.example/pledge?x=1").is_ok());
        assert!(r.check_url("https://203.0.114.7/hook").is_ok());
    }

    #[test]
    fn an_operator_allows_a_named_inner_network_only() {
        let r = Receivers {
            allowed: Arc::new(["10.20.0.0/16".parse().unwrap_or_else(|_| unreachable!())]),
            ..rule()
        };
        assert!(r.check_url("http://10.20.3.4/hook").is_ok());
        assert!(r.check_url("http://[::ffff:10.20.3.4]/hook").is_ok());
        assert!(matches!(
            r.check_url("http://10.21.0.1/hook"),
            Err(Refused::Inner(_))
        ));
        assert!(!r.permits("127.0.0.1".parse().unwrap_or_else(|_| unreachable!())));
    }

    #[tokio::test]
    async fn the_resolver_answers_no_inner_address() {
        use reqwest::dns::Resolve;
        let names = Names::fixed([
            ("inner.test".to_owned(), IpAddr::from([10, 0, 0, 8])),
            ("mixed.test".to_owned(), IpAddr::from([127, 0, 0, 1])),
            ("mixed.test".to_owned(), IpAddr::from([203, 0, 114, 9])),
            ("loop.test".to_owned(), IpAddr::from([127, 0, 0, 1])),
        ]);
        let r = Receivers {
            names: names.clone(),
            ..rule()
        };
        let resolve = |host: &str| {
            let name: reqwest::dns::Name = host.parse().unwrap_or_else(|_| unreachable!());
            let resolving = r.resolver().resolve(name);
            async move {
                resolving
                    .await
                    .map(|a| a.map(|s| s.ip()).collect::<Vec<_>>())
                    .ok()
            }
        };
        assert_eq!(
            resolve("localhost").await,
            None,
            "this host, whatever names say"
        );
        assert_eq!(resolve("inner.test").await, None);
        assert_eq!(resolve("loop.test").await, None);
        assert_eq!(
            resolve("MIXED.test.").await,
            Some(vec![IpAddr::from([203, 0, 114, 9])]),
            "only the permitted address is handed to the connection"
        );
        assert_eq!(resolve("nowhere.test").await, None, "not in the table");
        // An operator allowing loopback: the loopback name resolves.
        let allowed = Receivers {
            allowed: Arc::new(["127.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())]),
            names,
            ..rule()
        };
        let name: reqwest::dns::Name = "loop.test".parse().unwrap_or_else(|_| unreachable!());
        let found: Vec<SocketAddr> = allowed
            .resolver()
            .resolve(name)
            .await
            .map(|a| a.collect())
            .unwrap_or_default();
        assert_eq!(found, [SocketAddr::from(([127, 0, 0, 1], 0))]);
    }
}
