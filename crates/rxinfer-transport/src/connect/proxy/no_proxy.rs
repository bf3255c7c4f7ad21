//! The hosts a `NO_PROXY` list exempts from the proxy, by curl's rules.
//!
//! hyper-util's matcher does not follow them (`*` misses IP literals, no
//! `host:port`), and the rules decide where a token goes, so they are kept
//! here, in one table-tested place.

use std::net::IpAddr;

use ipnet::IpNet;

/// A parsed `NO_PROXY` list.
///
/// | entry | exempts |
/// |---|---|
/// | `*` (the whole list) | every host |
/// | `example.com`, `.example.com`, `*.example.com` | `example.com` and every name under it, any port |
/// | `example.com:8080` | those names, on port 8080 only |
/// | `192.168.1.7`, `::1`, `[::1]` | that address |
/// | `10.0.0.0/8`, `fd00::/8` | every address in the range |
/// | `[::1]:8080`, `127.0.0.1:8000` | that address, on that port only |
///
/// Entries are separated by commas or whitespace and compared without
/// regard to case or a trailing dot; names are never resolved, so a name
/// does not exempt its address, nor an address its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    everything: bool,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Domain { name: String, port: Option<u16> },
    Network { network: IpNet, port: Option<u16> },
}

impl NoProxy {
    /// Parses a list; entries that cannot match anything are dropped.
    pub(crate) fn parse(list: &str) -> Self {
        if list.trim() == "*" {
            return Self {
                everything: true,
                entries: Vec::new(),
            };
        }
        let entries = list
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|entry| !entry.is_empty())
            .filter_map(Entry::parse)
            .collect();
        Self {
            everything: false,
            entries,
        }
    }

    /// Whether a request to `host` (as in a URI: IPv6 in brackets) on `port`
    /// goes without the proxy.
    pub(crate) fn exempts(&self, host: &str, port: u16) -> bool {
        if self.everything {
            return true;
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match host.parse::<IpAddr>() {
            Ok(address) => self.entries.iter().any(|entry| match entry {
                Entry::Network { network, port: p } => {
                    network.contains(&address) && p.is_none_or(|p| p == port)
                }
                Entry::Domain { .. } => false,
            }),
            Err(_) => {
                let name = host.trim_end_matches('.').to_ascii_lowercase();
                self.entries.iter().any(|entry| match entry {
                    Entry::Domain {
                        name: domain,
                        port: p,
                    } => covers(domain, &name) && p.is_none_or(|p| p == port),
                    Entry::Network { .. } => false,
                })
            }
        }
    }
}

/// `example.com` covers itself and `www.example.com`, not `notexample.com`.
fn covers(domain: &str, name: &str) -> bool {
    name == domain
        || name
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

impl Entry {
    fn parse(entry: &str) -> Option<Self> {
        let (host, port) = split_port(entry)?;
        if let Ok(address) = host.parse::<IpAddr>() {
            return Some(Entry::Network {
                network: IpNet::from(address),
                port,
            });
        }
        if let Ok(network) = host.parse::<IpNet>() {
            return Some(Entry::Network {
                network: network.trunc(),
                port,
            });
        }
        let name = host
            .strip_prefix("*.")
            .unwrap_or(host)
            .trim_matches('.')
            .to_ascii_lowercase();
        if name.is_empty() || name.contains(['/', '*', '[', ']', ':']) {
            return None;
        }
        Some(Entry::Domain { name, port })
    }
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 address or a
/// network; `None` when a port is there but not a number.
fn split_port(entry: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    // More than one colon: an IPv6 address or network, without a port.
    match entry.split_once(':') {
        Some((host, port)) if !port.contains(':') => Some((host, Some(port.parse().ok()?))),
        _ => Some((entry, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form the list takes, and where it sends a request.
    #[test]
    fn the_rules_as_a_table() {
        let cases: &[(&str, &str, u16, bool)] = &[
            // (NO_PROXY, host, port, exempt?)
            ("*", "127.0.0.1", 8000, true),
            ("*", "[::1]", 8000, true),
            ("*", "example.com", 443, true),
            (" * ", "example.com", 443, true),
            ("example.com", "example.com", 80, true),
            ("example.com", "www.example.com", 80, true),
            ("example.com", "a.b.example.com", 80, true),
            ("example.com", "notexample.com", 80, false),
            ("example.com", "example.com.evil.net", 80, false),
            (".example.com", "example.com", 80, true),
            (".example.com", "www.example.com", 80, true),
            ("*.example.com", "www.example.com", 80, true),
            ("example.com.", "EXAMPLE.com", 80, true),
            ("Example.COM", "www.example.com.", 80, true),
            ("example.com:8080", "example.com", 8080, true),
            ("example.com:8080", "example.com", 80, false),
            ("localhost", "localhost", 8000, true),
            ("localhost", "127.0.0.1", 8000, false),
            ("127.0.0.1", "127.0.0.1", 8000, true),
            ("127.0.0.1", "127.0.0.2", 8000, false),
            ("127.0.0.1", "localhost", 8000, false),
            ("127.0.0.1:8000", "127.0.0.1", 8000, true),
            ("127.0.0.1:8000", "127.0.0.1", 9000, false),
            ("10.0.0.0/8", "10.1.2.3", 80, true),
            ("10.0.0.0/8", "11.0.0.1", 80, false),
            ("192.168.1.77/24", "192.168.1.1", 80, true),
            ("::1", "[::1]", 80, true),
            ("[::1]", "[::1]", 80, true),
            ("[::1]:8080", "[::1]", 8080, true),
            ("[::1]:8080", "[::1]", 80, false),
            ("fd00::/8", "[fd12::1]", 80, true),
            ("fd00::/8", "[fe80::1]", 80, false),
            ("a.com, b.com,,c.com", "b.com", 80, true),
            ("a.com b.com\tc.com", "c.com", 80, true),
            ("a.com,*", "z.com", 80, false),
            ("", "example.com", 80, false),
            ("example.com:http", "example.com", 80, false),
        ];
        for (list, host, port, exempt) in cases {
            assert_eq!(
                NoProxy::parse(list).exempts(host, *port),
                *exempt,
                "NO_PROXY={list:?}, host {host}:{port}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_list_and_host_are_answered_without_panic(
            list in proptest::prelude::any::<String>(),
            host in "([a-z0-9.*-]{0,12}|\\[[0-9a-f:]{0,12}\\]|[0-9.]{0,15})",
            port in proptest::prelude::any::<u16>(),
        ) {
            let rules = NoProxy::parse(&list);
            let _ = rules.exempts(&host, port);
            proptest::prop_assert!(NoProxy::parse("*").exempts(&host, port));
        }
    }
}
