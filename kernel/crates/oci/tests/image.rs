//! Image-spec documents: OCI and Docker media types, strict digests, errors with paths.

use oci::image::{media, parse_image_config, parse_index, parse_manifest, MediaKind, REF_NAME};
use oci::Digest;

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

#[test]
fn parses_an_index_with_platforms_and_refs() {
    let json = format!(
        r#"{{"schemaVersion": 2, "mediaType": "{}", "manifests": [
            {{"mediaType": "{}", "digest": "{D1}", "size": 10, "annotations": {{"{REF_NAME}": "latest"}},
              "platform": {{"architecture": "amd64", "os": "linux"}}}},
            {{"mediaType": "{}", "digest": "{D2}", "size": 20, "platform": {{"architecture": "arm64", "os": "linux", "variant": "v8"}}}}
        ]}}"#,
        media::OCI_INDEX,
        media::OCI_MANIFEST,
        media::DOCKER_MANIFEST
    );
    let index = parse_index("index.json", json.as_bytes()).unwrap();
    assert_eq!(index.manifests.len(), 2);
    let first = &index.manifests[0];
    assert_eq!((first.kind(), first.ref_name(), first.size), (MediaKind::Manifest, Some("latest"), 10));
    assert_eq!(first.digest, Digest::parse(D1).unwrap());
    assert_eq!(index.manifests[1].platform.as_ref().unwrap().variant, "v8");
    assert_eq!(index.manifests[1].kind(), MediaKind::Manifest);
}

#[test]
fn parses_docker_manifest_and_config() {
    let manifest = format!(
        r#"{{"schemaVersion": 2, "mediaType": "{}", "config": {{"mediaType": "{}", "digest": "{D1}", "size": 1}},
            "layers": [{{"mediaType": "{}", "digest": "{D2}", "size": 2}}]}}"#,
        media::DOCKER_MANIFEST,
        media::DOCKER_CONFIG,
        media::DOCKER_LAYER
    );
    let m = parse_manifest("manifest", manifest.as_bytes()).unwrap();
    assert_eq!((m.config.kind(), m.layers[0].kind()), (MediaKind::Config, MediaKind::Layer));

    // Docker writes nulls and many fields of its own.
    let config = format!(
        r#"{{"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z", "docker_version": "24",
            "container_config": {{"Cmd": ["ignored"]}},
            "config": {{"User": "nobody:nogroup", "Env": ["A=1"], "Entrypoint": null, "Cmd": ["sh"],
                        "WorkingDir": "/w", "ExposedPorts": {{"80/tcp": {{}}, "53/udp": {{}}}},
                        "Volumes": {{"/data": {{}}}}, "Labels": null, "StopSignal": "SIGTERM", "OnBuild": null}},
            "rootfs": {{"type": "layers", "diff_ids": ["{D1}", "{D2}"]}},
            "history": [{{"created_by": "ADD file", "empty_layer": true}}]}}"#
    );
    let c = parse_image_config("config", config.as_bytes()).unwrap();
    assert_eq!(c.config.user, "nobody:nogroup");
    assert!(c.config.entrypoint.is_empty());
    assert_eq!(c.config.cmd, ["sh"]);
    assert_eq!(c.config.exposed_ports, ["53/udp", "80/tcp"]);
    assert_eq!(c.config.volumes, ["/data"]);
    assert_eq!(c.config.stop_signal, "SIGTERM");
    assert_eq!(c.rootfs.diff_ids.len(), 2);
    assert!(c.history[0].empty_layer);
}

#[test]
fn errors_name_paths_and_digests_are_strict() {
    let bad_digest = r#"{"schemaVersion": 2, "manifests": [{"mediaType": "x", "digest": "sha256:../../etc", "size": 1}]}"#;
    assert_eq!(
        parse_index("index.json", bad_digest.as_bytes()).unwrap_err().to_string(),
        "index.json: manifests[0].digest: invalid sha256 digest (want 64 lowercase hex digits): \"sha256:../../etc\""
    );
    let md5 = r#"{"schemaVersion": 2, "manifests": [{"mediaType": "x", "digest": "md5:abc", "size": 1}]}"#;
    assert!(parse_index("index.json", md5.as_bytes()).unwrap_err().to_string().contains("only sha256"));
    let v1 = r#"{"schemaVersion": 1, "manifests": []}"#;
    assert_eq!(parse_index("index.json", v1.as_bytes()).unwrap_err().to_string(), "index.json: schemaVersion: unsupported schema version 1");
    let neg = format!(r#"{{"schemaVersion": 2, "manifests": [{{"mediaType": "x", "digest": "{D1}", "size": -1}}]}}"#);
    assert_eq!(
        parse_index("index.json", neg.as_bytes()).unwrap_err().to_string(),
        "index.json: manifests[0].size: expected a non-negative integer"
    );
    let no_rootfs = r#"{"architecture": "amd64", "os": "linux"}"#;
    assert_eq!(parse_image_config("config", no_rootfs.as_bytes()).unwrap_err().to_string(), "config: missing field rootfs");
}

proptest::proptest! {
    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
        let _ = parse_index("i", &data);
        let _ = parse_manifest("m", &data);
        let _ = parse_image_config("c", &data);
        let _ = oci::parse_state(&data);
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = Digest::parse(text);
        }
    }
}
