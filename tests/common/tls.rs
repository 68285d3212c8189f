//! TLS for tests: a test CA, a server certificate it signed for localhost
//! and 127.0.0.1, and a rustls server configuration using them.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use rftp::protocol::{Options, TlsMode, TlsOptions};
use rftp::server::{Access, Server, ServerConfig};

use super::{PASSWORD, USER};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A test CA and a server certificate it signed, for localhost and 127.0.0.1.
pub struct Certificates {
    pub ca: PathBuf,
    pub chain: PathBuf,
    pub key: PathBuf,
}

pub fn make_certificates(dir: &Path) -> Certificates {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "rftp test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let server_cert = params.signed_by(&server_key, &issuer).unwrap();
    let certificates = Certificates { ca: dir.join("ca.pem"), chain: dir.join("chain.pem"), key: dir.join("key.pem") };
    fs::write(&certificates.ca, ca_cert.pem()).unwrap();
    fs::write(&certificates.chain, format!("{}{}", server_cert.pem(), ca_cert.pem())).unwrap();
    fs::write(&certificates.key, server_key.serialize_pem()).unwrap();
    certificates
}

/// A rustls server configuration for hand-written TLS test servers, with
/// the test certificate.
pub fn rustls_server_config(certificates: &Certificates) -> rustls::ServerConfig {
    use rustls::pki_types::pem::PemObject;
    let chain: Vec<_> =
        rustls::pki_types::CertificateDer::pem_file_iter(&certificates.chain).unwrap().map(Result::unwrap).collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(&certificates.key).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap()
}

/// Client options for explicit FTPS trusting `ca` (or, with `insecure`, any certificate).
pub fn tls_options(ca: Option<&Path>, insecure: bool) -> Options {
    Options {
        tls: Some(TlsOptions {
            mode: TlsMode::Explicit,
            extra_ca: ca.map(Path::to_path_buf),
            insecure,
            ..TlsOptions::default()
        }),
        telnet_abort: false,
        ..Options::default()
    }
}

/// An implicit FTPS server on loopback that greets, answers each line it reads with the next of `replies`, and returns those lines.
pub fn implicit_tls_server(certificates: &Certificates, replies: Vec<&'static str>) -> (u16, JoinHandle<Vec<String>>) {
    let config = rustls_server_config(certificates);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let connection = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = rustls::StreamOwned::new(connection, tcp);
        let mut said = Vec::new();
        tls.write_all(b"220 implicit TLS here\r\n").unwrap();
        tls.flush().unwrap();
        let mut reader = BufReader::new(tls);
        for reply in replies {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            said.push(line.trim_end().to_string());
            let tls = reader.get_mut();
            tls.write_all(format!("{reply}\r\n").as_bytes()).unwrap();
            tls.flush().unwrap();
        }
        said
    });
    (port, server)
}

/// The embedded server on a fresh root folder, with FTPS on if `tls`, and the test certificate.
pub struct TlsServer {
    pub server: Server,
    pub certificates: Certificates,
    _dir: tempfile::TempDir,
    _root: tempfile::TempDir,
}

/// Starts a [`TlsServer`] for the test user, with FTPS on if `tls`.
pub fn tls_server(tls: bool) -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let certificates = make_certificates(dir.path());
    let server = Server::start(ServerConfig {
        root: root.path().to_path_buf(),
        port: 0,
        access: Access::ReadWrite,
        login: Some((USER.into(), PASSWORD.into())),
        tls: tls.then(|| (certificates.chain.clone(), certificates.key.clone())),
    })
    .unwrap();
    TlsServer { server, certificates, _dir: dir, _root: root }
}
