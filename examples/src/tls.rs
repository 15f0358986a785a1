//! Optional TLS with mutual authentication on the Q/GDW 1376.1 uplink (rustls, `ring`
//! provider, TLS 1.3 and 1.2).
//!
//! Both ends load three PEM files: the CA bundle that signs the other end's certificate, their
//! own certificate chain (end entity first) and its private key (PKCS#8, PKCS#1 or SEC1).
//!
//! - The concentrator ([`TlsClient`]) verifies the master station's certificate against the CA
//!   and the configured server name (a DNS name or an IP address in its subjectAltName) and
//!   presents its own certificate.
//! - The master station ([`TlsServer`]) requires a client certificate and verifies it against
//!   the CA: a concentrator without one, or with one from another CA, is refused during the
//!   handshake. The accepted certificate's subject ([`subject`]) goes to the sessions table.
//!
//! Everything is blocking: the client is a [`rustls::StreamOwned`] over its `TcpStream`
//! ([`Stream`]); the master station reads and writes one connection from two threads, so
//! [`TlsServer::accept`] gives a [`ServerReader`] and a [`ServerWriter`] sharing the
//! connection state under a mutex (the reader never holds it while it waits for the socket).
//!
//! With TLS 1.3 the client's side of the handshake ends before the server has checked the
//! client's certificate: a refused concentrator learns it from the alert on its first read
//! (`received fatal alert: ...`), which the uplink client treats like any link failure (logged,
//! back-off, retry).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConnection, ConnectionCommon, RootCertStore, ServerConnection, StreamOwned};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// The three PEM files of one end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemFiles {
    /// CA certificate(s) that sign the other end's certificate.
    pub ca: PathBuf,
    /// This end's certificate chain, end entity first.
    pub cert: PathBuf,
    /// This end's private key.
    pub key: PathBuf,
}

/// Why a TLS set-up could not be built; each names the file and what was wrong.
#[derive(Debug)]
pub enum TlsError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        error: io::Error,
    },
    /// The file is not PEM or holds none of what it should.
    Pem {
        /// The file.
        path: PathBuf,
        /// What it should hold ("certificate", "private key").
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// rustls refused the contents (a CA certificate it cannot parse, a key that does not
    /// match the certificate, ...).
    Rejected {
        /// The file (for a certificate/key pair: the key).
        path: PathBuf,
        /// rustls's reason.
        error: rustls::Error,
    },
    /// The name the master station's certificate must carry is not a DNS name or an IP
    /// address.
    ServerName(String),
    /// The client-certificate verifier could not be built from the CA.
    Verifier(String),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, error } => write!(f, "{}: cannot read: {error}", path.display()),
            Self::Pem { path, what, reason } => {
                write!(f, "{}: no usable PEM {what}: {reason}", path.display())
            }
            Self::Rejected { path, error } => write!(f, "{}: {error}", path.display()),
            Self::ServerName(n) => write!(
                f,
                "server name '{n}': not a DNS name or an IP address the certificate can carry"
            ),
            Self::Verifier(e) => write!(f, "client certificate verifier: {e}"),
        }
    }
}

impl std::error::Error for TlsError {}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        path: path.to_path_buf(),
        error,
    })
}

/// Every `CERTIFICATE` section of the PEM file at `path` (at least one).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let bad = |reason: String| TlsError::Pem {
        path: path.to_path_buf(),
        what: "certificate",
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no 'BEGIN CERTIFICATE' section".into()));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) of the PEM file at `path`.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError::Pem {
        path: path.to_path_buf(),
        what: "private key",
        reason: match e {
            rustls_pki_types::pem::Error::NoItemsFound => {
                "no 'BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY' or 'BEGIN EC PRIVATE KEY' section"
                    .into()
            }
            e => e.to_string(),
        },
    })
}

/// A root store of every certificate in the CA file.
fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for c in load_certs(path)? {
        roots.add(c).map_err(|error| TlsError::Rejected {
            path: path.to_path_buf(),
            error,
        })?;
    }
    Ok(roots)
}

/// The `ring` provider: builds with a C compiler only (aws-lc-rs, rustls's default, needs
/// more of a C toolchain and a much longer build). rustls 0.23.48 deprecates it because ring
/// has no post-quantum key exchange (X25519MLKEM768): the uplink's key exchange is X25519,
/// P-256 or P-384, which every TLS 1.2 / 1.3 peer offers.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The concentrator's side: verifies the master station, presents its own certificate.
#[derive(Debug, Clone)]
pub struct TlsClient {
    config: Arc<rustls::ClientConfig>,
    server_name: ServerName<'static>,
}

impl TlsClient {
    /// Loads `files` and builds the client set-up; the master's certificate must be signed by
    /// `files.ca` and name `server_name` (a DNS name or an IP address).
    pub fn new(files: &PemFiles, server_name: &str) -> Result<Self, TlsError> {
        let server_name = ServerName::try_from(server_name.to_string())
            .map_err(|_| TlsError::ServerName(server_name.to_string()))?;
        let roots = load_roots(&files.ca)?;
        let chain = load_certs(&files.cert)?;
        let key = load_key(&files.key)?;
        let rejected = |error| TlsError::Rejected {
            path: files.key.clone(),
            error,
        };
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(rejected)?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(rejected)?;
        Ok(Self {
            config: Arc::new(config),
            server_name,
        })
    }

    /// Runs the handshake on a connected socket, each read and write of it bounded by
    /// `timeout`. An error says why (`invalid peer certificate: ...`, `received fatal alert:
    /// ...`, the socket's error).
    pub fn handshake(&self, mut tcp: TcpStream, timeout: Duration) -> io::Result<Stream> {
        let mut conn = ClientConnection::new(self.config.clone(), self.server_name.clone())
            .map_err(io::Error::other)?;
        run_handshake(&mut conn, &mut tcp, timeout)?;
        tcp.set_write_timeout(None)?;
        Ok(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
    }
}

/// Why a connection to the master station did not come up.
#[derive(Debug)]
pub enum ConnectError {
    /// The TCP connection failed.
    Tcp(io::Error),
    /// The TLS handshake failed.
    Handshake(io::Error),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(e) => write!(f, "TCP connect: {e}"),
            Self::Handshake(e) => write!(f, "TLS handshake: {e}"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// Connects to `addr` within `timeout`, with TLS when `tls` is given (the handshake bounded by
/// the same timeout per read/write).
pub fn connect(
    addr: &SocketAddr,
    timeout: Duration,
    tls: Option<&TlsClient>,
) -> Result<Stream, ConnectError> {
    let tcp = TcpStream::connect_timeout(addr, timeout).map_err(ConnectError::Tcp)?;
    tcp.set_nodelay(true).map_err(ConnectError::Tcp)?;
    match tls {
        None => Ok(Stream::Plain(tcp)),
        Some(t) => t.handshake(tcp, timeout).map_err(ConnectError::Handshake),
    }
}

/// The concentrator's link to the master station: plain TCP or TLS.
#[derive(Debug)]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP, handshake done.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    /// The socket under it.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(s) => s,
            Self::Tls(s) => s.get_ref(),
        }
    }

    /// Bounds each read (`WouldBlock` when nothing came in time).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp().set_read_timeout(timeout)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
        }
    }
}

/// The master station's side: presents its certificate, requires and verifies the
/// concentrator's.
#[derive(Debug, Clone)]
pub struct TlsServer {
    config: Arc<rustls::ServerConfig>,
}

impl TlsServer {
    /// Loads `files` and builds the server set-up; client certificates must be signed by
    /// `files.ca`.
    pub fn new(files: &PemFiles) -> Result<Self, TlsError> {
        let roots = Arc::new(load_roots(&files.ca)?);
        let chain = load_certs(&files.cert)?;
        let key = load_key(&files.key)?;
        let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
            .build()
            .map_err(|e| TlsError::Verifier(format!("{}: {e}", files.ca.display())))?;
        let rejected = |error| TlsError::Rejected {
            path: files.key.clone(),
            error,
        };
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(rejected)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(rejected)?;
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// Runs the handshake on an accepted socket (each read and write bounded by `timeout`)
    /// and splits the connection for a reading and a writing thread.
    pub fn accept(&self, mut tcp: TcpStream, timeout: Duration) -> io::Result<Accepted> {
        let mut conn = ServerConnection::new(self.config.clone()).map_err(io::Error::other)?;
        if let Err(e) = run_handshake(&mut conn, &mut tcp, timeout) {
            // rustls has sent its alert (e.g. a client certificate from another CA).
            linger(&mut tcp);
            return Err(e);
        }
        // A refused client certificate ends the handshake above with an error; this is a
        // verified chain.
        let subject = conn
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| subject(c.as_ref()).unwrap_or_else(|e| format!("(unreadable subject: {e})")))
            .unwrap_or_default();
        tcp.set_read_timeout(None)?;
        tcp.set_write_timeout(None)?;
        let shared = Arc::new(Mutex::new(conn));
        Ok(Accepted {
            writer: ServerWriter {
                conn: shared.clone(),
                tcp: tcp.try_clone()?,
            },
            reader: ServerReader {
                conn: shared,
                raw: vec![0; 4096],
                tcp,
            },
            subject,
        })
    }
}

/// Bounds each read and write of `tcp` by `timeout` and drives the handshake of `conn` (a
/// client's or a server's) to its end.
fn run_handshake<D>(
    conn: &mut ConnectionCommon<D>,
    tcp: &mut TcpStream,
    timeout: Duration,
) -> io::Result<()> {
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    while conn.is_handshaking() {
        conn.complete_io(tcp)?;
    }
    Ok(())
}

/// Closes a refused connection so that the peer reads the alert: closing a socket with
/// unread bytes in it (the client's first frames, sent right after its side of a TLS 1.3
/// handshake) makes the kernel send a reset, and the peer's kernel may then drop the alert
/// before it is read. So: end our side, read what comes until the peer closes, at most about
/// a second.
fn linger(tcp: &mut TcpStream) {
    let _ = tcp.shutdown(std::net::Shutdown::Write);
    let _ = tcp.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 1024];
    for _ in 0..5 {
        match tcp.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

/// An accepted TLS connection, split.
#[derive(Debug)]
pub struct Accepted {
    /// The reading half.
    pub reader: ServerReader,
    /// The writing half.
    pub writer: ServerWriter,
    /// The concentrator's certificate subject (`CN=..., O=...`).
    pub subject: String,
}

fn locked(
    conn: &Mutex<ServerConnection>,
) -> io::Result<std::sync::MutexGuard<'_, ServerConnection>> {
    conn.lock()
        .map_err(|_| io::Error::other("TLS connection state poisoned"))
}

/// Writes what rustls has queued for the peer.
fn flush_tls(conn: &mut ServerConnection, tcp: &mut TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(tcp)?;
    }
    Ok(())
}

/// Reads plaintext from the concentrator; blocks on the socket without the lock.
#[derive(Debug)]
pub struct ServerReader {
    conn: Arc<Mutex<ServerConnection>>,
    raw: Vec<u8>,
    tcp: TcpStream,
}

impl Read for ServerReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match locked(&self.conn)?.reader().read(buf) {
                // Ok(0): the peer's close_notify; UnexpectedEof: closed without one.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return r,
            }
            let n = self.tcp.read(&mut self.raw)?;
            let mut conn = locked(&self.conn)?;
            let mut rest = self.raw.get(..n).unwrap_or(&[]);
            loop {
                // n == 0 tells rustls the socket reached its end.
                conn.read_tls(&mut rest)?;
                if let Err(e) = conn.process_new_packets() {
                    // Send the alert rustls queued, then fail.
                    let _ = flush_tls(&mut conn, &mut self.tcp);
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                }
                if rest.is_empty() {
                    break;
                }
            }
            flush_tls(&mut conn, &mut self.tcp)?;
        }
    }
}

/// Writes plaintext to the concentrator.
#[derive(Debug)]
pub struct ServerWriter {
    conn: Arc<Mutex<ServerConnection>>,
    tcp: TcpStream,
}

impl Write for ServerWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut conn = locked(&self.conn)?;
        let n = conn.writer().write(buf)?;
        flush_tls(&mut conn, &mut self.tcp)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        flush_tls(&mut *locked(&self.conn)?, &mut self.tcp)
    }
}

/// Why a certificate's subject could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectError {
    /// A DER element is cut short or its length is not DER.
    Truncated,
    /// An element has another tag than X.509 puts there.
    Unexpected {
        /// The field.
        field: &'static str,
        /// Its tag.
        tag: u8,
    },
}

impl fmt::Display for SubjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => write!(f, "DER element cut short"),
            Self::Unexpected { field, tag } => write!(f, "{field}: unexpected tag {tag:#04x}"),
        }
    }
}

impl std::error::Error for SubjectError {}

/// One DER element of `input`: its tag, its contents and what follows it (definite lengths
/// up to 4 length bytes, X.690 §8.1.3).
fn der(input: &[u8]) -> Result<(u8, &[u8], &[u8]), SubjectError> {
    let (&tag, rest) = input.split_first().ok_or(SubjectError::Truncated)?;
    let (&first, mut rest) = rest.split_first().ok_or(SubjectError::Truncated)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return Err(SubjectError::Truncated);
        }
        let (bytes, r) = rest.split_at_checked(n).ok_or(SubjectError::Truncated)?;
        rest = r;
        bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b))
    };
    let (body, rest) = rest.split_at_checked(len).ok_or(SubjectError::Truncated)?;
    Ok((tag, body, rest))
}

/// `der` expecting `tag`.
fn expect<'a>(
    input: &'a [u8],
    tag: u8,
    field: &'static str,
) -> Result<(&'a [u8], &'a [u8]), SubjectError> {
    match der(input)? {
        (t, body, rest) if t == tag => Ok((body, rest)),
        (t, ..) => Err(SubjectError::Unexpected { field, tag: t }),
    }
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;

/// The short name of an attribute type (RFC 4514 §3), else its dotted OID.
fn attribute_name(oid: &[u8]) -> String {
    // id-at (2.5.4) = 55 04.
    match oid {
        [0x55, 0x04, 0x03] => "CN".into(),
        [0x55, 0x04, 0x05] => "serialNumber".into(),
        [0x55, 0x04, 0x06] => "C".into(),
        [0x55, 0x04, 0x07] => "L".into(),
        [0x55, 0x04, 0x08] => "ST".into(),
        [0x55, 0x04, 0x0A] => "O".into(),
        [0x55, 0x04, 0x0B] => "OU".into(),
        _ => {
            // X.690 §8.19: first byte 40*X+Y, then base-128 with the high bit continuing.
            let mut parts = Vec::new();
            let mut v: u64 = 0;
            for &b in oid {
                v = (v << 7) | u64::from(b & 0x7F);
                if b & 0x80 == 0 {
                    if parts.is_empty() {
                        let x = (v / 40).min(2);
                        parts.push(x);
                        parts.push(v - 40 * x);
                    } else {
                        parts.push(v);
                    }
                    v = 0;
                }
            }
            parts
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(".")
        }
    }
}

/// An attribute value as text: the string types as they are, others as `#` and hex
/// (RFC 4514 §2.4).
fn attribute_value(tag: u8, body: &[u8]) -> String {
    match tag {
        // UTF8String, PrintableString, TeletexString, IA5String.
        0x0C | 0x13 | 0x14 | 0x16 => String::from_utf8_lossy(body).into_owned(),
        // BMPString: UTF-16 big-endian.
        0x1E => char::decode_utf16(body.chunks_exact(2).map(|c| {
            u16::from_be_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ])
        }))
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect(),
        _ => {
            let mut s = String::from("#");
            for b in body {
                s.push_str(&format!("{b:02x}"));
            }
            s
        }
    }
}

/// The subject of a DER certificate as `CN=..., O=...`, in the certificate's order (as
/// `openssl x509 -subject` prints it; RFC 5280 §4.1.2.6, the Name of §4.1.2.4).
pub fn subject(cert: &[u8]) -> Result<String, SubjectError> {
    let (cert, _) = expect(cert, SEQUENCE, "Certificate")?;
    let (tbs, _) = expect(cert, SEQUENCE, "tbsCertificate")?;
    let mut rest = tbs;
    // version [0] EXPLICIT, absent on v1 certificates.
    if let (0xA0, _, r) = der(rest)? {
        rest = r;
    }
    let (_, r) = expect(rest, 0x02, "serialNumber")?;
    let (_, r) = expect(r, SEQUENCE, "signature")?;
    let (_, r) = expect(r, SEQUENCE, "issuer")?;
    let (_, r) = expect(r, SEQUENCE, "validity")?;
    let (mut name, _) = expect(r, SEQUENCE, "subject")?;
    let mut rdns = Vec::new();
    while !name.is_empty() {
        let (mut set, r) = expect(name, SET, "RelativeDistinguishedName")?;
        name = r;
        let mut atvs = Vec::new();
        while !set.is_empty() {
            let (atv, r) = expect(set, SEQUENCE, "AttributeTypeAndValue")?;
            set = r;
            let (oid, value) = expect(atv, 0x06, "AttributeType")?;
            let (tag, body, _) = der(value)?;
            atvs.push(format!(
                "{}={}",
                attribute_name(oid),
                attribute_value(tag, body)
            ));
        }
        rdns.push(atvs.join("+"));
    }
    Ok(rdns.join(", "))
}
