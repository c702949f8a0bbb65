//! The image-spec documents: index, manifest, descriptor and image configuration.
//!
//! Both OCI and Docker schema-2 media types are accepted. Docker's extra configuration
//! fields are ignored; `null` lists (Docker writes `"Cmd": null`) count as absent.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::digest::Digest;
use crate::error::DocError;
use crate::json::{decode, Node, Obj};

/// Annotation naming an image in an index (`latest`, `v1.2`).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Annotation containerd uses for the full image name in an index.
pub const CONTAINERD_IMAGE_NAME: &str = "io.containerd.image.name";

/// OCI media types.
pub mod media {
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    pub const OCI_LAYER_ND: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    pub const OCI_LAYER_ND_GZIP: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    pub const DOCKER_FOREIGN_LAYER: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}

/// What a descriptor's media type says the blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// An OCI index or Docker manifest list.
    Index,
    /// An OCI or Docker image manifest.
    Manifest,
    /// An image configuration.
    Config,
    /// A filesystem layer (tar, possibly compressed: the blob's magic tells which).
    Layer,
    /// Anything else (attestations, signatures, artifacts).
    Other,
}

/// Classifies a media type string.
pub fn media_kind(media_type: &str) -> MediaKind {
    use media::*;
    match media_type {
        OCI_INDEX | DOCKER_LIST => MediaKind::Index,
        OCI_MANIFEST | DOCKER_MANIFEST => MediaKind::Manifest,
        OCI_CONFIG | DOCKER_CONFIG => MediaKind::Config,
        OCI_LAYER | OCI_LAYER_GZIP | OCI_LAYER_ZSTD | OCI_LAYER_ND | OCI_LAYER_ND_GZIP | DOCKER_LAYER
        | DOCKER_FOREIGN_LAYER => MediaKind::Layer,
        _ => MediaKind::Other,
    }
}

/// `platform` of a descriptor in an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    pub variant: String,
}

/// A content descriptor: what a blob is, its digest and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    pub annotations: BTreeMap<String, String>,
    pub platform: Option<Platform>,
}

impl Descriptor {
    pub fn kind(&self) -> MediaKind {
        media_kind(&self.media_type)
    }

    /// The `org.opencontainers.image.ref.name` annotation.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotations.get(REF_NAME).map(String::as_str)
    }
}

/// An image index (`index.json` or a multi-platform index blob).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageIndex {
    pub schema_version: u32,
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
    pub annotations: BTreeMap<String, String>,
}

/// An image manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub schema_version: u32,
    pub media_type: Option<String>,
    pub config: Descriptor,
    /// Base layer first.
    pub layers: Vec<Descriptor>,
    pub annotations: BTreeMap<String, String>,
}

/// The execution parameters of an image (`config` in the configuration document).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecConfig {
    /// `user`, `uid`, `user:group`, `uid:gid`, ... (empty: root).
    pub user: String,
    /// Keys like `80/tcp`.
    pub exposed_ports: Vec<String>,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub volumes: Vec<String>,
    pub working_dir: String,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: String,
}

/// `rootfs` of an image configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootFs {
    /// Always `layers`.
    pub kind: String,
    /// Digests of the uncompressed layer tars, base first.
    pub diff_ids: Vec<Digest>,
}

/// One `history` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub created: String,
    pub created_by: String,
    pub author: String,
    pub comment: String,
    pub empty_layer: bool,
}

/// An image configuration document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub created: String,
    pub author: String,
    pub architecture: String,
    pub os: String,
    pub config: ExecConfig,
    pub rootfs: RootFs,
    pub history: Vec<History>,
}

/// Parses an image index document (`doc` names it in errors).
pub fn parse_index(doc: &str, bytes: &[u8]) -> Result<ImageIndex, DocError> {
    decode(doc, bytes, |root| {
        let o = root.object()?;
        Ok(ImageIndex {
            schema_version: schema_version(&o)?,
            media_type: o.opt("mediaType", Node::string)?,
            manifests: o.req("manifests")?.array(|d| descriptor(&d))?,
            annotations: o.or_default("annotations", Node::string_map)?,
        })
    })
}

/// Parses an image manifest document.
pub fn parse_manifest(doc: &str, bytes: &[u8]) -> Result<Manifest, DocError> {
    decode(doc, bytes, |root| {
        let o = root.object()?;
        Ok(Manifest {
            schema_version: schema_version(&o)?,
            media_type: o.opt("mediaType", Node::string)?,
            config: descriptor(&o.req("config")?)?,
            layers: o.req("layers")?.array(|d| descriptor(&d))?,
            annotations: o.or_default("annotations", Node::string_map)?,
        })
    })
}

/// Parses an image configuration document.
pub fn parse_image_config(doc: &str, bytes: &[u8]) -> Result<ImageConfig, DocError> {
    decode(doc, bytes, |root| {
        let o = root.object()?;
        Ok(ImageConfig {
            created: o.or_default("created", Node::string)?,
            author: o.or_default("author", Node::string)?,
            architecture: o.req("architecture")?.string()?,
            os: o.req("os")?.string()?,
            config: o.or_default("config", |n| exec_config(&n.object()?))?,
            rootfs: rootfs(&o.req("rootfs")?.object()?)?,
            history: o.or_default("history", |n| n.array(|h| history(&h.object()?)))?,
        })
    })
}

fn schema_version(o: &Obj<'_>) -> Result<u32, DocError> {
    let node = o.req("schemaVersion")?;
    match node.u32()? {
        2 => Ok(2),
        v => Err(node.invalid(alloc::format!("unsupported schema version {v}"))),
    }
}

/// Parses a digest field strictly.
pub(crate) fn digest(node: &Node<'_>) -> Result<Digest, DocError> {
    let text = node.string()?;
    Digest::parse(&text).map_err(|e| node.invalid(alloc::format!("{e}: {text:?}")))
}

fn descriptor(node: &Node<'_>) -> Result<Descriptor, DocError> {
    let o = node.object()?;
    Ok(Descriptor {
        media_type: o.req("mediaType")?.string()?,
        digest: digest(&o.req("digest")?)?,
        size: o.req("size")?.u64()?,
        annotations: o.or_default("annotations", Node::string_map)?,
        platform: o.opt("platform", |n| {
            let p = n.object()?;
            Ok(Platform {
                architecture: p.req("architecture")?.string()?,
                os: p.req("os")?.string()?,
                variant: p.or_default("variant", Node::string)?,
            })
        })?,
    })
}

fn exec_config(o: &Obj<'_>) -> Result<ExecConfig, DocError> {
    Ok(ExecConfig {
        user: o.or_default("User", Node::string)?,
        exposed_ports: o.or_default("ExposedPorts", Node::key_set)?,
        env: o.or_default("Env", Node::strings)?,
        entrypoint: o.or_default("Entrypoint", Node::strings)?,
        cmd: o.or_default("Cmd", Node::strings)?,
        volumes: o.or_default("Volumes", Node::key_set)?,
        working_dir: o.or_default("WorkingDir", Node::string)?,
        labels: o.or_default("Labels", Node::string_map)?,
        stop_signal: o.or_default("StopSignal", Node::string)?,
    })
}

fn rootfs(o: &Obj<'_>) -> Result<RootFs, DocError> {
    let type_node = o.req("type")?;
    let kind = type_node.string()?;
    if kind != "layers" {
        return Err(type_node.invalid(alloc::format!("unsupported rootfs type {kind:?}")));
    }
    Ok(RootFs { kind, diff_ids: o.req("diff_ids")?.array(|d| digest(&d))? })
}

fn history(o: &Obj<'_>) -> Result<History, DocError> {
    Ok(History {
        created: o.or_default("created", Node::string)?,
        created_by: o.or_default("created_by", Node::string)?,
        author: o.or_default("author", Node::string)?,
        comment: o.or_default("comment", Node::string)?,
        empty_layer: o.or_default("empty_layer", Node::boolean)?,
    })
}
