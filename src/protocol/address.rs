//! Pure parsers and encoders for the addresses and values inside replies:
//! 227 (PASV), 229 (EPSV, RFC 2428), 257 (PWD/MKD), the size in a 150 reply,
//! and the PORT and EPRT arguments.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The address in a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply.
///
/// RFC 959 does not fix where the numbers stand, so, like most clients, this
/// takes the first run of six comma-separated numbers. Each must be 0–255 and
/// the port must not be 0.
pub fn parse_pasv(text: &str) -> Option<(Ipv4Addr, u16)> {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
        .find_map(|start| six_numbers(&text[start..]))
        .and_then(|n| {
            let port = u16::from(n[4]) << 8 | u16::from(n[5]);
            (port != 0).then_some((Ipv4Addr::new(n[0], n[1], n[2], n[3]), port))
        })
}

/// Reads `a,b,c,d,e,f` from the start of `text`, each a number from 0 to 255.
fn six_numbers(text: &str) -> Option<[u8; 6]> {
    let mut numbers = [0u8; 6];
    let mut rest = text;
    for (i, slot) in numbers.iter_mut().enumerate() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 3 {
            return None;
        }
        *slot = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        if i < 5 {
            rest = rest.strip_prefix(',')?;
        }
    }
    Some(numbers)
}

/// The port in a `229 Entering Extended Passive Mode (|||port|)` reply (RFC 2428 §3).
///
/// The delimiter may be any printable ASCII character other than a digit, but
/// the same one four times; the network address fields must be empty.
pub fn parse_epsv(text: &str) -> Option<u16> {
    let open = text.find('(')?;
    let inner = &text[open + 1..];
    let close = inner.find(')')?;
    let inner = &inner[..close];
    let delimiter = inner.chars().next()?;
    if !delimiter.is_ascii_graphic() || delimiter.is_ascii_digit() {
        return None;
    }
    let fields: Vec<&str> = inner.split(delimiter).collect();
    // "|||port|" splits into ["", "", "", "port", ""].
    match fields.as_slice() {
        ["", "", "", port, ""] if !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) => {
            port.parse::<u16>().ok().filter(|&p| p != 0)
        }
        _ => None,
    }
}

/// The path in a `257 "PATHNAME" ...` reply (RFC 959 Appendix II): a doubled
/// quote inside the name stands for one quote.
pub fn parse_257(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix('"')?;
    let mut path = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                path.push('"');
            } else {
                return Some(path);
            }
        } else {
            path.push(c);
        }
    }
    None
}

/// The size announced in a reply such as `150 Opening BINARY mode data
/// connection for f (1234 bytes)`: the last `(N bytes)` in the text.
pub fn parse_150_size(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    lower.rmatch_indices(" bytes)").find_map(|(end, _)| {
        let open = lower[..end].rfind('(')?;
        let number = &lower[open + 1..end];
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        number.parse().ok()
    })
}

/// The argument of `PORT` for an IPv4 address: `h1,h2,h3,h4,p1,p2`.
pub fn encode_port(ip: Ipv4Addr, port: u16) -> String {
    let [a, b, c, d] = ip.octets();
    format!("{a},{b},{c},{d},{},{}", port >> 8, port & 0xff)
}

/// The argument of `EPRT` (RFC 2428 §2): `|1|132.235.1.2|6275|` or `|2|::1|6275|`.
pub fn encode_eprt(address: SocketAddr) -> String {
    let family = match address.ip() {
        IpAddr::V4(_) => 1,
        IpAddr::V6(_) => 2,
    };
    format!("|{family}|{}|{}|", address.ip(), address.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_addresses() {
        assert_eq!(parse_pasv("Entering Passive Mode (127,0,0,1,4,1)."), Some((Ipv4Addr::LOCALHOST, 1025)));
        assert_eq!(parse_pasv("Entering Passive Mode 10,1,2,3,200,10"), Some((Ipv4Addr::new(10, 1, 2, 3), 51210)));
        assert_eq!(parse_pasv("=192,168,0,1,255,255"), Some((Ipv4Addr::new(192, 168, 0, 1), 65535)));
        // A leading unrelated number is skipped.
        assert_eq!(parse_pasv("Mode 2 (1,2,3,4,0,21)"), Some((Ipv4Addr::new(1, 2, 3, 4), 21)));
    }

    #[test]
    fn pasv_rejects_bad_numbers() {
        for bad in [
            "(127,0,0,1,4)",
            "(256,0,0,1,4,1)",
            "(127,0,0,1,0,0)",
            "no numbers",
            "(1,2,3,4,5,1000)",
            "(1,2,3,4,,5)",
            "",
        ] {
            assert_eq!(parse_pasv(bad), None, "{bad}");
        }
    }

    #[test]
    fn epsv_ports() {
        assert_eq!(parse_epsv("Entering Extended Passive Mode (|||6446|)"), Some(6446));
        assert_eq!(parse_epsv("ok (!!!21!)"), Some(21));
        for bad in [
            "(|||0|)",
            "(|||70000|)",
            "(||1|6446|)",
            "(|||6446)",
            "(1114)",
            "(|||abc|)",
            "(||||)",
            "(|||6446!)",
            "",
            "()",
        ] {
            assert_eq!(parse_epsv(bad), None, "{bad}");
        }
    }

    #[test]
    fn paths_in_257() {
        assert_eq!(parse_257("\"/home/bob\" is current directory").as_deref(), Some("/home/bob"));
        assert_eq!(parse_257("\"/a \"\"quoted\"\" dir\" created").as_deref(), Some("/a \"quoted\" dir"));
        assert_eq!(parse_257("\"\"").as_deref(), Some(""));
        assert_eq!(parse_257("\"/ünïcode\"").as_deref(), Some("/ünïcode"));
        assert_eq!(parse_257("/no/quotes"), None);
        assert_eq!(parse_257("\"unterminated"), None);
    }

    #[test]
    fn sizes_in_150() {
        assert_eq!(parse_150_size("Opening BINARY mode data connection for f (1234 bytes)."), Some(1234));
        assert_eq!(parse_150_size("Opening data connection for (weird) name (0 Bytes)"), Some(0));
        assert_eq!(parse_150_size("Data connection already open. Transfer starting."), None);
        assert_eq!(parse_150_size("for f (12a bytes)"), None);
        assert_eq!(parse_150_size("for f (99999999999999999999999 bytes)"), None);
    }

    #[test]
    fn port_and_eprt_arguments() {
        assert_eq!(encode_port(Ipv4Addr::new(127, 0, 0, 1), 1025), "127,0,0,1,4,1");
        assert_eq!(encode_eprt("132.235.1.2:6275".parse().unwrap()), "|1|132.235.1.2|6275|");
        assert_eq!(encode_eprt("[::1]:6275".parse().unwrap()), "|2|::1|6275|");
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,64}") {
            let _ = parse_pasv(&text);
            let _ = parse_epsv(&text);
            let _ = parse_257(&text);
            let _ = parse_150_size(&text);
        }

        #[test]
        fn pasv_round_trips(a: u8, b: u8, c: u8, d: u8, port in 1u16..) {
            let ip = Ipv4Addr::new(a, b, c, d);
            proptest::prop_assert_eq!(parse_pasv(&format!("Entering Passive Mode ({})", encode_port(ip, port))), Some((ip, port)));
        }
    }
}
