//! Docker Hub's protocol, which the local `docker-registry` does not speak without TLS
//! certificates: a small in-test registry on loopback that answers 401 with a bearer
//! challenge, hands out a token for `repository:demo/app:pull`, serves a Docker manifest
//! list (arm64 + amd64) and redirects layer downloads to a storage path (where the token
//! must not be sent).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use oci::Digest;
use oci_pull::{pull, Options, PullError, Reference};
use serde_json::json;

const TOKEN: &str = "t0k3n";

struct Request {
    path: String,
    headers: HashMap<String, String>,
}

#[derive(Default)]
struct Fake {
    /// Paths (with query) the client asked for, with its Authorization header.
    log: Vec<(String, Option<String>)>,
    /// `/v2/...` path -> (content type, body).
    objects: HashMap<String, (String, Vec<u8>)>,
    /// `/storage/<hex>` -> body (reached by redirect only).
    storage: HashMap<String, Vec<u8>>,
    accept_seen: Vec<String>,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Some(Request { path, headers })
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body));
}

fn serve(listener: TcpListener, fake: Arc<Mutex<Fake>>) {
    let port = listener.local_addr().unwrap().port();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let fake = fake.clone();
        thread::spawn(move || {
            let Some(req) = read_request(&mut stream) else { return };
            let auth = req.headers.get("authorization").cloned();
            let mut f = fake.lock().unwrap();
            f.log.push((req.path.clone(), auth.clone()));
            if let Some(a) = req.headers.get("accept") {
                f.accept_seen.push(a.clone());
            }
            if let Some(query) = req.path.strip_prefix("/token?") {
                let mut params: Vec<&str> = query.split('&').collect();
                params.sort();
                if params == ["scope=repository%3Ademo%2Fapp%3Apull", "service=fake.registry"] {
                    return respond(&mut stream, "200 OK", &[], json!({ "token": TOKEN }).to_string().as_bytes());
                }
                return respond(&mut stream, "400 Bad Request", &[], b"bad token request");
            }
            if let Some(hex) = req.path.strip_prefix("/storage/") {
                let body = f.storage.get(hex).cloned();
                return match body {
                    Some(b) => respond(&mut stream, "200 OK", &[], &b),
                    None => respond(&mut stream, "404 Not Found", &[], b""),
                };
            }
            if auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
                let challenge = format!("Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake.registry\"");
                let body = json!({ "errors": [{ "code": "UNAUTHORIZED", "message": "authentication required" }] });
                return respond(&mut stream, "401 Unauthorized", &[("WWW-Authenticate", challenge)], body.to_string().as_bytes());
            }
            if req.path == "/v2/" {
                return respond(&mut stream, "200 OK", &[], b"{}");
            }
            if let Some(hex) = req.path.strip_prefix("/v2/demo/app/blobs/sha256:").filter(|h| f.storage.contains_key(*h)) {
                return respond(&mut stream, "307 Temporary Redirect", &[("Location", format!("/storage/{hex}"))], b"");
            }
            match f.objects.get(&req.path) {
                Some((ct, body)) => {
                    let digest = Digest::of(body).to_string();
                    respond(&mut stream, "200 OK", &[("Content-Type", ct.clone()), ("Docker-Content-Digest", digest)], body)
                }
                None => {
                    let body = json!({ "errors": [{ "code": "MANIFEST_UNKNOWN", "message": "manifest unknown" }] });
                    respond(&mut stream, "404 Not Found", &[], body.to_string().as_bytes())
                }
            }
        });
    }
}

fn layer() -> (Vec<u8>, Digest) {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_mode(0o644);
    h.set_size(6);
    b.append_data(&mut h, "etc/motd", &b"hello\n"[..]).unwrap();
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    (gz.finish().unwrap(), Digest::of(&tar))
}

const LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Registers a Docker image (config for `arch`) and returns its manifest bytes.
fn image(f: &mut Fake, arch: &str, layer: &[u8], diff_id: Digest) -> Vec<u8> {
    let config = serde_json::to_vec(&json!({ "architecture": arch, "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": [diff_id.to_string()] } }))
    .unwrap();
    let cd = Digest::of(&config);
    f.objects.insert(format!("/v2/demo/app/blobs/{cd}"), ("application/octet-stream".into(), config.clone()));
    let manifest = serde_json::to_vec(&json!({ "schemaVersion": 2, "mediaType": MANIFEST,
        "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "digest": cd.to_string(), "size": config.len() },
        "layers": [{ "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": Digest::of(layer).to_string(), "size": layer.len() }] }))
    .unwrap();
    f.objects.insert(format!("/v2/demo/app/manifests/{}", Digest::of(&manifest)), (MANIFEST.into(), manifest.clone()));
    manifest
}

#[test]
fn bearer_token_manifest_list_and_redirected_blobs() {
    let (gz, diff_id) = layer();
    let mut f = Fake::default();
    f.storage.insert(Digest::of(&gz).hex(), gz.clone());
    let arm = image(&mut f, "arm64", &gz, diff_id);
    let amd = image(&mut f, "amd64", &gz, diff_id);
    let entry = |m: &[u8], arch: &str| json!({ "mediaType": MANIFEST, "digest": Digest::of(m).to_string(), "size": m.len(),
                                             "platform": { "os": "linux", "architecture": arch } });
    let list = serde_json::to_vec(&json!({ "schemaVersion": 2, "mediaType": LIST,
        "manifests": [entry(&arm, "arm64"), entry(&amd, "amd64")] }))
    .unwrap();
    f.objects.insert("/v2/demo/app/manifests/v1".into(), (LIST.into(), list.clone()));
    // A tag whose manifest names a layer the storage serves with other bytes.
    let bad_layer = b"not the layer".to_vec();
    let mut bad = serde_json::from_slice::<serde_json::Value>(&amd).unwrap();
    bad["layers"][0]["digest"] = Digest::of(b"something else").to_string().into();
    bad["layers"][0]["size"] = bad_layer.len().into();
    f.storage.insert(Digest::of(b"something else").hex(), bad_layer);
    f.objects.insert("/v2/demo/app/manifests/tampered".into(), (MANIFEST.into(), serde_json::to_vec(&bad).unwrap()));

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fake = Arc::new(Mutex::new(f));
    let shared = fake.clone();
    thread::spawn(move || serve(listener, shared));

    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("app");
    let reference = Reference::parse(&format!("127.0.0.1:{port}/demo/app:v1")).unwrap();
    let got = pull(&reference, &dest, &Options::default()).unwrap();
    assert_eq!(got.top_digest, Digest::of(&list));
    assert_eq!(got.manifest, Digest::of(&amd), "linux/amd64 chosen from the list");
    assert_eq!(got.layers, [Digest::of(&gz)]);
    ociimport::check(&dest).unwrap();
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(dest.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["mediaType"], MANIFEST, "the registry's manifest kept as is");

    let f = fake.lock().unwrap();
    let token_requests = f.log.iter().filter(|(p, _)| p.starts_with("/token")).count();
    assert_eq!(token_requests, 1, "one token serves the whole pull: {:?}", f.log);
    assert!(f.log.iter().any(|(p, a)| p == "/v2/" && a.is_none()), "first /v2/ is anonymous");
    let storage: Vec<_> = f.log.iter().filter(|(p, _)| p.starts_with("/storage/")).collect();
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0].1, None, "the token does not follow a redirect");
    let manifest_accept = f.accept_seen.iter().find(|a| a.contains(LIST)).expect("an Accept with the list type");
    for t in ["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json", MANIFEST] {
        assert!(manifest_accept.contains(t), "Accept lacks {t}: {manifest_accept}");
    }
    drop(f);

    let dest = tmp.path().join("bad");
    let reference = Reference::parse(&format!("127.0.0.1:{port}/demo/app:tampered")).unwrap();
    let err = pull(&reference, &dest, &Options::default()).unwrap_err();
    assert!(matches!(err, PullError::Write(ociimport::Kind::DigestMismatch { .. })), "{err}");
    assert!(err.to_string().starts_with("layer 0"), "{err}");
    assert!(!dest.exists(), "a failed pull leaves nothing");

    let reference = Reference::parse(&format!("127.0.0.1:{port}/other/repo:v1")).unwrap();
    let err = pull(&reference, &dest, &Options::default()).unwrap_err();
    assert!(matches!(err, PullError::Auth { .. }), "{err}");
    assert!(err.to_string().contains("token request") && err.to_string().contains("400"), "{err}");
}

#[test]
fn basic_auth_registries_are_refused_clearly() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            respond(&mut s, "401 Unauthorized", &[("WWW-Authenticate", "Basic realm=\"basic-realm\"".into())], b"");
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let reference = Reference::parse(&format!("localhost:{port}/x")).unwrap();
    let err = pull(&reference, &tmp.path().join("x"), &Options::default()).unwrap_err();
    assert!(err.to_string().contains("wants basic authentication"), "{err}");
}
