//! The uplink over TLS with mutual authentication, on loopback, with certificates made by
//! rcgen at test time (no key material in the repository): a session logs in, heartbeats
//! and answers a read; a concentrator with a certificate from another CA is refused by the
//! master station (it logs the failure and retries, nothing logs in); a master station whose
//! certificate is for another name or from another CA is refused by the concentrator; PEM
//! loading errors name the file; a plain TCP client does not get into a TLS master station.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use examples::master_station::{Command, Db, MasterStation, TerminalId, render_frames};
use examples::tls::{PemFiles, TlsClient, TlsError, TlsServer, subject};
use examples::uplink_client::{ClientConfig, ClientStats, UplinkClient, UplinkHandler};
use qgdw1376_1::session::{Answer, Config, Duration as SessionDuration, Reply};
use qgdw1376_1::unit::{Data, ForwardActive, Values};
use qgdw1376_1::value::{A14, Quantity, Unit};
use qgdw1376_1::{Address, Afn, Da, Dt, FrameRepr, PW_LEN};
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair};

use common::load::{ReadLoad, read_load, vm_rss};
use common::pki::Ca;

const KEY: [u8; PW_LEN] = *b"0123456789abcdef";
const MASTER_NAME: &str = "master.meterline.test";

/// Answers 0C F129 with 1234.5678 kWh total; records link errors.
#[derive(Clone, Default)]
struct Meterish {
    link_errors: Arc<Mutex<Vec<String>>>,
}

impl UplinkHandler for Meterish {
    fn request(&mut self, request: &FrameRepr<'_>, reply: &mut Reply<'_>) -> Answer {
        let unit = request.data_units().next().and_then(Result::ok);
        let (pn, f) = unit.map_or((0, 0), |u| (u.pn, u.fn_number));
        if (request.afn, f) != (Afn::Class1, 129) {
            return Answer::Deny;
        }
        let total = Quantity {
            mantissa: 12_345_678,
            exponent: -4,
            unit: Unit::KiloWattHour,
        };
        let values = [Some(total)];
        let data = [Data::ForwardActive(ForwardActive {
            time: None,
            values: Values::new(A14, Unit::KiloWattHour, &values),
        })];
        reply
            .push(Da::point(pn).unwrap(), Dt::function(129).unwrap(), &data)
            .unwrap();
        Answer::Data
    }

    fn link_error(&mut self, reason: &str) {
        self.link_errors.lock().unwrap().push(reason.to_string());
    }
}

/// A CA made at test time.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("uptls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Files `<name>.pem` and `<name>.key` for a leaf of `ca`, with `trust` as the CA file.
    fn files(&self, name: &str, trust: &Ca, leaf: (String, String)) -> PemFiles {
        PemFiles {
            ca: self.write(&format!("{name}-ca.pem"), &trust.issuer.pem()),
            cert: self.write(&format!("{name}.pem"), &leaf.0),
            key: self.write(&format!("{name}.key"), &leaf.1),
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs a TLS client of terminal 0200:`terminal` to `master` until `until` says stop (checked
/// every 10 ms, at most 10 s); returns its counters and the link errors it reported.
fn run_client(
    master: SocketAddr,
    terminal: u16,
    tls: Option<TlsClient>,
    until: impl Fn(&Meterish) -> bool,
) -> (ClientStats, Vec<String>) {
    let mut c = Config::new(Address {
        area: 0x0200,
        terminal,
        master: 0,
        group: false,
    });
    c.heartbeat = SessionDuration::millis(200);
    c.backoff_min = SessionDuration::millis(50);
    c.backoff_max = SessionDuration::millis(100);
    let mut client = UplinkClient::new(ClientConfig::new(master, c, KEY));
    if let Some(tls) = tls {
        client = client.with_tls(tls);
    }
    let stop = client.stop_handle();
    let h = Meterish::default();
    let mut hc = h.clone();
    let j = std::thread::spawn(move || client.run(&mut hc).unwrap());
    let end = Instant::now() + Duration::from_secs(10);
    while !until(&h) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.stop();
    let stats = j.join().unwrap();
    let errors = h.link_errors.lock().unwrap().clone();
    (stats, errors)
}

/// The master's count of refused handshakes once it reaches `n` (it counts a refusal after
/// closing the connection), or after 5 s.
fn refused(ms: &MasterStation, n: u64) -> u64 {
    let end = Instant::now() + Duration::from_secs(5);
    while ms.tls_refused() < n && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    ms.tls_refused()
}

/// A TLS master station on a free local port with `files` as its certificate files, storing
/// into `db`, if given.
fn tls_master(files: &PemFiles, db: Option<Db>) -> MasterStation {
    MasterStation::start_tls(
        "127.0.0.1:0".parse().unwrap(),
        db,
        1,
        TlsServer::new(files).unwrap(),
    )
    .unwrap()
}

/// The test CA and, in `pki`, the master's files: a server leaf for `MASTER_NAME` of that
/// CA, trusting it.
fn ca_and_master(pki: &Pki) -> (Ca, PemFiles) {
    let ca = Ca::new("meterline test CA");
    let master_files = pki.files("master", &ca, ca.leaf("master", &[MASTER_NAME], true));
    (ca, master_files)
}

fn terminal(t: u16) -> TerminalId {
    TerminalId {
        area: 0x0200,
        terminal: t,
    }
}

#[test]
fn tls_session_logs_in_heartbeats_and_answers_a_read() {
    let pki = Pki::new("ok");
    let (ca, master_files) = ca_and_master(&pki);
    let conc_files = pki.files("conc", &ca, ca.leaf("concentrator 0200:1234", &[], false));
    let db_path = pki.dir.join("master.sqlite");
    let ms = tls_master(&master_files, Some(Db::open(&db_path).unwrap()));
    let tls = TlsClient::new(&conc_files, MASTER_NAME).unwrap();
    let read = Arc::new(Mutex::new(None));
    let (stats, errors) = run_client(ms.local_addr(), 0x1234, Some(tls), |_| {
        let t = terminal(0x1234);
        let Some(info) = ms.terminals().into_iter().find(|i| i.id == t) else {
            return false;
        };
        if info.heartbeats < 2 {
            return false;
        }
        // 50 reads back to back while heartbeats go the other way; the last one is checked.
        let mut r = None;
        for _ in 0..50 {
            r = Some(ms.request(
                t,
                &Command::ReadNow {
                    pn: 1,
                    fn_number: 129,
                },
            ));
        }
        *read.lock().unwrap() = r;
        true
    });
    let frames = read
        .lock()
        .unwrap()
        .take()
        .expect("logged in with 2 heartbeats")
        .unwrap();
    let v = render_frames(&frames);
    assert_eq!(v["afn"], 0x0C);
    let fa = &v["units"][0]["value"]["forward_active"];
    assert_eq!(fa[0]["mantissa"], 12_345_678);
    assert_eq!(fa[0]["exponent"], -4);
    assert_eq!(stats.connects, 1, "one connection: {errors:?}");
    assert_eq!(stats.logins, 1);
    assert_eq!(stats.executed, 50);
    assert_eq!(ms.tls_refused(), 0);
    // The stop closes the link without a TLS close_notify: at most that read error.
    assert!(errors.len() <= 1, "{errors:?}");

    let sessions = Db::open(&db_path).unwrap().session_peers().unwrap();
    assert_eq!(
        sessions[0],
        (
            "0200:1234".to_string(),
            "login".to_string(),
            Some("CN=concentrator 0200:1234, O=meterline test".to_string())
        )
    );
}

#[test]
fn client_certificate_from_another_ca_is_refused_and_the_concentrator_retries() {
    let pki = Pki::new("rogue-client");
    let (ca, master_files) = ca_and_master(&pki);
    let rogue = Ca::new("someone else's CA");
    // The concentrator trusts the right CA (so it accepts the master), but its own
    // certificate comes from another one.
    let conc_files = pki.files(
        "conc",
        &ca,
        rogue.leaf("concentrator 0200:1234", &[], false),
    );
    let db_path = pki.dir.join("master.sqlite");
    let ms = tls_master(&master_files, Some(Db::open(&db_path).unwrap()));
    let tls = TlsClient::new(&conc_files, MASTER_NAME).unwrap();
    let (stats, errors) = run_client(ms.local_addr(), 0x1234, Some(tls), |h| {
        h.link_errors.lock().unwrap().len() >= 3
    });
    assert!(errors.len() >= 3, "retried: {errors:?}");
    // TLS 1.3: the client's side of the handshake is over before the master checks its
    // certificate, so the refusal (the master's alert) arrives on the first read.
    for e in &errors {
        assert!(
            e.contains("received fatal alert") || e.starts_with("TLS handshake: "),
            "{e}"
        );
    }
    eprintln!("concentrator's reasons: {errors:?}");
    assert_eq!(stats.logins, 0);
    assert!(ms.terminals().is_empty());
    assert!(refused(&ms, 3) >= 3, "{}", ms.tls_refused());
    assert!(
        Db::open(&db_path).unwrap().sessions().unwrap().is_empty(),
        "nothing logged in"
    );
}

#[test]
fn client_without_a_certificate_is_refused() {
    let pki = Pki::new("no-cert");
    let (_ca, master_files) = ca_and_master(&pki);
    let ms = tls_master(&master_files, None);
    // A TLS client that trusts the master but has no certificate of its own.
    let mut roots = rustls::RootCertStore::empty();
    for c in examples::tls::load_certs(&master_files.ca).unwrap() {
        roots.add(c).unwrap();
    }
    #[allow(deprecated)] // the ring provider, as the programs use
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), MASTER_NAME.try_into().unwrap()).unwrap();
    let tcp = std::net::TcpStream::connect(ms.local_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    use std::io::{Read, Write};
    // The handshake runs on this first write; the refusal comes back as an alert.
    let _ = tls.write_all(b"hello").and_then(|()| tls.flush());
    let e = tls.read(&mut [0u8; 16]).unwrap_err();
    assert!(
        e.to_string()
            .contains("received fatal alert: CertificateRequired"),
        "{e}"
    );
    drop(tls);
    assert_eq!(refused(&ms, 1), 1);
    assert!(ms.terminals().is_empty());
}

#[test]
fn client_without_tls_is_not_served_by_a_tls_master() {
    let pki = Pki::new("plain-client");
    let (_ca, master_files) = ca_and_master(&pki);
    let ms = tls_master(&master_files, None);
    let (stats, errors) = run_client(ms.local_addr(), 0x1234, None, |h| {
        h.link_errors.lock().unwrap().len() >= 2
    });
    assert!(errors.len() >= 2, "{errors:?}");
    for e in &errors {
        assert_eq!(e, "closed by the master station");
    }
    assert_eq!(stats.logins, 0);
    assert!(ms.terminals().is_empty());
    assert!(refused(&ms, 2) >= 2, "{}", ms.tls_refused());
}

/// A master station with `master` as its certificate files; the concentrator trusts `ca`
/// and expects `MASTER_NAME`: it must refuse the master in its handshake.
fn concentrator_refuses(name: &str, master: PemFiles, ca: &Ca, expect: &str) {
    let pki = Pki::new(name);
    let conc_files = pki.files("conc", ca, ca.leaf("concentrator 0200:1234", &[], false));
    let ms = tls_master(&master, None);
    let tls = TlsClient::new(&conc_files, MASTER_NAME).unwrap();
    let (stats, errors) = run_client(ms.local_addr(), 0x1234, Some(tls), |h| {
        h.link_errors.lock().unwrap().len() >= 2
    });
    assert!(errors.len() >= 2, "retried: {errors:?}");
    for e in &errors {
        assert!(
            e.starts_with("TLS handshake: invalid peer certificate: ") && e.contains(expect),
            "{e}"
        );
    }
    assert_eq!(stats.connects, 0, "no connection came up");
    assert_eq!(stats.logins, 0);
    assert!(ms.terminals().is_empty());
}

#[test]
fn master_certificate_for_another_name_is_refused_by_the_concentrator() {
    let pki = Pki::new("master-name");
    let ca = Ca::new("meterline test CA");
    let master = pki.files(
        "master",
        &ca,
        ca.leaf("master", &["other.meterline.test"], true),
    );
    concentrator_refuses(
        "master-name-c",
        master,
        &ca,
        "certificate not valid for name \"master.meterline.test\"",
    );
}

#[test]
fn master_certificate_from_another_ca_is_refused_by_the_concentrator() {
    let pki = Pki::new("master-ca");
    let ca = Ca::new("meterline test CA");
    let rogue = Ca::new("someone else's CA");
    // The master trusts the concentrators' CA but presents a certificate from another one.
    let master = pki.files("master", &ca, rogue.leaf("master", &[MASTER_NAME], true));
    concentrator_refuses("master-ca-c", master, &ca, "UnknownIssuer");
}

#[test]
fn master_certificate_for_an_ip_address_is_accepted() {
    let pki = Pki::new("ip");
    let ca = Ca::new("meterline test CA");
    let master_files = pki.files("master", &ca, ca.leaf("master", &["127.0.0.1"], true));
    let conc_files = pki.files("conc", &ca, ca.leaf("concentrator 2", &[], false));
    let ms = tls_master(&master_files, None);
    let tls = TlsClient::new(&conc_files, "127.0.0.1").unwrap();
    let (stats, errors) = run_client(ms.local_addr(), 2, Some(tls), |_| {
        !ms.terminals().is_empty()
    });
    assert_eq!(stats.logins, 1, "{errors:?}");
}

fn err_text(r: Result<impl Sized, TlsError>) -> String {
    match r {
        Ok(_) => panic!("loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn pem_loading_errors_name_the_file_and_what_was_wrong() {
    let pki = Pki::new("load");
    let ca = Ca::new("meterline test CA");
    let good = pki.files("good", &ca, ca.leaf("c", &[], false));
    let other = pki.files("other", &ca, ca.leaf("c", &[], false));
    let missing = pki.dir.join("missing.pem");
    let with = |f: &dyn Fn(&mut PemFiles)| {
        let mut files = good.clone();
        f(&mut files);
        files
    };
    let path = |p: &Path| p.display().to_string();

    let e = err_text(TlsClient::new(
        &with(&|f| f.ca = missing.clone()),
        MASTER_NAME,
    ));
    assert!(
        e.starts_with(&format!("{}: cannot read: ", path(&missing))),
        "{e}"
    );

    // A key file given as the certificate.
    let e = err_text(TlsServer::new(&with(&|f| f.cert = good.key.clone())));
    assert_eq!(
        e,
        format!(
            "{}: no usable PEM certificate: no 'BEGIN CERTIFICATE' section",
            path(&good.key)
        )
    );

    // A certificate file given as the key.
    let e = err_text(TlsClient::new(
        &with(&|f| f.key = good.cert.clone()),
        MASTER_NAME,
    ));
    assert!(
        e.starts_with(&format!(
            "{}: no usable PEM private key: no 'BEGIN PRIVATE KEY'",
            path(&good.cert)
        )),
        "{e}"
    );

    // Cut short: no END line.
    let text = std::fs::read_to_string(&good.cert).unwrap();
    let cut = pki.write("cut.pem", &text[..text.len() / 2]);
    let e = err_text(TlsServer::new(&with(&|f| f.cert = cut.clone())));
    assert!(
        e.starts_with(&format!("{}: no usable PEM certificate: ", path(&cut))),
        "{e}"
    );

    // The key of another certificate.
    let e = err_text(TlsServer::new(&with(&|f| f.key = other.key.clone())));
    assert!(e.starts_with(&format!("{}: ", path(&other.key))), "{e}");
    assert!(e.contains("key"), "{e}");

    let e = err_text(TlsClient::new(&good, "not a name!"));
    assert!(e.starts_with("server name 'not a name!': "), "{e}");
}

#[test]
fn subject_reads_the_certificate_subject_in_order() {
    let ca = Ca::new("meterline test CA");
    let (pem, _) = ca.leaf("concentrator 0200:1234", &[], false);
    let der = rustls_pki_types_der(&pem);
    assert_eq!(
        subject(&der).unwrap(),
        "CN=concentrator 0200:1234, O=meterline test"
    );
    assert_eq!(subject(ca.issuer.der()).unwrap(), "CN=meterline test CA");
    assert!(subject(&der[..40]).is_err());

    // The other string types, named and unnamed attribute types, in the certificate's order.
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name = DistinguishedName::new(); // rcgen starts with a CN
    let dn = &mut p.distinguished_name;
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("CN".try_into().unwrap()),
    );
    dn.push(DnType::StateOrProvinceName, "Jiangsu");
    dn.push(DnType::LocalityName, "Nanjing");
    dn.push(DnType::OrganizationalUnitName, "metering");
    dn.push(
        DnType::CommonName,
        DnValue::BmpString("集中器 0200:1234".try_into().unwrap()),
    );
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 5]), "SN-0042");
    // domainComponent (0.9.2342.19200300.100.1.25): multi-byte arcs, no short name here.
    dn.push(
        DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 25]),
        DnValue::Ia5String("example".try_into().unwrap()),
    );
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 65]),
        DnValue::UniversalString("ab".try_into().unwrap()),
    );
    let cert = p.self_signed(&KeyPair::generate().unwrap()).unwrap();
    assert_eq!(
        subject(cert.der()).unwrap(),
        "C=CN, ST=Jiangsu, L=Nanjing, OU=metering, CN=集中器 0200:1234, serialNumber=SN-0042, \
         0.9.2342.19200300.100.1.25=example, 2.5.4.65=#0000006100000062"
    );
    assert!(subject(b"\x04\x00").is_err());
}

/// The DER of the first certificate of `pem`, through the same loader the programs use.
fn rustls_pki_types_der(pem: &str) -> Vec<u8> {
    let pki = Pki::new("der");
    let p = pki.write("c.pem", pem);
    examples::tls::load_certs(&p).unwrap().remove(0).to_vec()
}

const DAEMON: &str = "[storage]
path = \"x.db\"

[[channel]]
id = 0
kind = \"rs485\"
device = \"/dev/ttyS1\"

[[meter]]
archive_no = 1
channel = 0
protocol = \"dlt645-2007\"
address = \"000000000161\"
reads = [\"energy_import\"]

[uplink]
";

const MASTER: &str = "master = \"tcp:127.0.0.1:9000\"
area = \"0200\"
terminal = \"1234\"
key = \"00112233445566778899AABBCCDDEEFF\"
";

/// The daemon's config `DAEMON` + `uplink` in `pki`'s folder: the error's line and message.
fn config_error(pki: &Pki, uplink: &str) -> (Option<usize>, String) {
    let path = pki.dir.join("concentrator.toml");
    let e = examples::concentrator::config::Config::parse(&path, &format!("{DAEMON}{uplink}"))
        .unwrap_err();
    assert_eq!(e.file, path);
    (e.line, e.message)
}

#[test]
fn daemon_config_tls_keys_all_or_nothing_with_lines() {
    use examples::concentrator::config::{Config, UplinkTls};
    let pki = Pki::new("config");
    let ca = Ca::new("meterline test CA");
    // Relative to the config file's folder.
    pki.files("conc", &ca, ca.leaf("concentrator 0200:1234", &[], false));
    let tls = "tls_ca = \"conc-ca.pem\"
tls_cert = \"conc.pem\"
tls_key = \"conc.key\"
tls_server_name = \"master.meterline.test\"
";
    let first = DAEMON.lines().count() + 1;

    let path = pki.dir.join("concentrator.toml");
    let c = Config::parse(&path, &format!("{DAEMON}{MASTER}{tls}")).unwrap();
    assert_eq!(
        c.master.unwrap().tls,
        Some(UplinkTls {
            files: PemFiles {
                ca: pki.dir.join("conc-ca.pem"),
                cert: pki.dir.join("conc.pem"),
                key: pki.dir.join("conc.key"),
            },
            server_name: MASTER_NAME.into(),
        })
    );

    assert_eq!(
        config_error(&pki, tls),
        (Some(first), "uplink: tls_ca without master".into())
    );
    assert_eq!(
        config_error(
            &pki,
            &format!("{MASTER}tls_cert = \"conc.pem\"\ntls_ca = \"conc-ca.pem\"\n")
        ),
        (
            Some(first + 5),
            "uplink: tls_ca needs tls_key, tls_server_name too (TLS takes all four)".into()
        )
    );
    let (line, message) = config_error(
        &pki,
        &format!("{MASTER}{}", tls.replace("conc.pem", "gone.pem")),
    );
    assert_eq!(line, Some(first + 5));
    assert!(
        message.starts_with(&format!(
            "uplink: tls_cert: {}: cannot read: ",
            pki.dir.join("gone.pem").display()
        )),
        "{message}"
    );
    let (line, message) = config_error(
        &pki,
        &format!("{MASTER}{}", tls.replace("conc.key", "conc.pem")),
    );
    assert_eq!(line, Some(first + 6));
    assert!(message.contains("no usable PEM private key"), "{message}");
    let (line, message) = config_error(
        &pki,
        &format!("{MASTER}{}", tls.replace(MASTER_NAME, "no such name!")),
    );
    assert_eq!(line, Some(first + 7));
    assert!(
        message.starts_with("uplink: tls_server_name: "),
        "{message}"
    );
}

/// 200 concentrators over TLS (client certificates from the CA) logged in to one master
/// station, heartbeats every 500 ms, 16 master-side threads reading 0C F129 round robin for
/// 3 s: every request answered; prints the handshake-and-login time, requests per second and
/// resident memory (compare `uplink_master`'s plain-TCP figure).
#[test]
fn two_hundred_concentrators_over_tls_on_one_master_station() {
    const N: u16 = 200;
    let pki = Pki::new("load");
    let (ca, master_files) = ca_and_master(&pki);
    let conc_files = pki.files("conc", &ca, ca.leaf("concentrator", &[], false));
    let ms = Arc::new(tls_master(&master_files, None));
    let tls = TlsClient::new(&conc_files, MASTER_NAME).unwrap();
    let begin = Instant::now();
    let mut clients = Vec::new();
    for i in 0..N {
        let mut c = Config::new(Address {
            area: 0x0200,
            terminal: 0x1000 + i,
            master: 0,
            group: false,
        });
        c.heartbeat = SessionDuration::millis(500);
        let client =
            UplinkClient::new(ClientConfig::new(ms.local_addr(), c, KEY)).with_tls(tls.clone());
        let stop = client.stop_handle();
        let mut h = Meterish::default();
        let errors = h.link_errors.clone();
        clients.push((
            stop,
            errors,
            std::thread::spawn(move || client.run(&mut h).unwrap()),
        ));
    }
    let end = Instant::now() + Duration::from_secs(60);
    while ms.terminals().len() < usize::from(N) {
        assert!(Instant::now() < end, "{} logged in", ms.terminals().len());
        std::thread::sleep(Duration::from_millis(10));
    }
    let login_secs = begin.elapsed().as_secs_f64();
    let ReadLoad { ok, failed, secs } = read_load(&ms, N, Duration::from_secs(3));
    let heartbeats: u64 = ms.terminals().iter().map(|i| i.heartbeats).sum();
    let rss = vm_rss();
    for (stop, ..) in &clients {
        stop.stop();
    }
    let mut logins = 0;
    for (_, errors, j) in clients {
        logins += j.join().unwrap().logins;
        // Only the stop's own close may show.
        assert!(errors.lock().unwrap().len() <= 1);
    }
    println!(
        "master-station TLS load: {N} concentrators logged in after {login_secs:.2} s, {ok} reads in {secs:.2} s = {:.0} req/s, {heartbeats} heartbeats, {rss}",
        ok as f64 / secs
    );
    assert_eq!(failed, 0, "nothing lost");
    assert_eq!(logins, u64::from(N), "no concentrator lost its link");
    assert_eq!(ms.tls_refused(), 0);
    assert!(heartbeats >= u64::from(N) * 4, "{heartbeats}");
    assert!(ok > 1000, "{ok}");
}
