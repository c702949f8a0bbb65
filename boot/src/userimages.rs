//! The user's own images (`cargo run -- --image [NAME=]PATH`, `--pull REF`): converted to
//! OCI image layouts by `ociimport` (pulled first by `oci-pull`) and copied onto the data
//! disk under `/images/NAME` by `mkdisk::add`, replacing an image of the same name.
//!
//! Invariant: the data disk is only written once every source has been imported and checked,
//! so a bad `--image` leaves the disk as it was. Staging happens under `build/imports.<pid>`,
//! removed afterwards.

use std::fs;
use std::path::{Path, PathBuf};

use ociimport::name;

/// One image to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `--image [NAME=]PATH`.
    Path { name: Option<String>, path: PathBuf },
    /// `--pull REF`.
    Pull { reference: String },
}

/// Parses `--image`'s value: `NAME=PATH` when the text before `=` is a valid image name and
/// the whole value is not an existing path, else `PATH`.
pub fn parse_image_arg(arg: &str) -> Result<Source, String> {
    if arg.is_empty() {
        return Err("--image needs a path".into());
    }
    if !Path::new(arg).exists() {
        if let Some((n, p)) = arg.split_once('=') {
            if name::validate(n).is_ok() && !p.is_empty() {
                return Ok(Source::Path { name: Some(n.to_string()), path: PathBuf::from(p) });
            }
        }
    }
    Ok(Source::Path { name: None, path: PathBuf::from(arg) })
}

/// What was put on the disk, one line each for the user.
pub fn add_to_disk(disk: &Path, sources: &[Source], insecure: bool) -> Result<Vec<String>, String> {
    let staging = crate::paths::build_dir().join(format!("imports.{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let result = import_all(disk, sources, insecure, &staging);
    let _ = fs::remove_dir_all(&staging);
    result
}

fn import_all(disk: &Path, sources: &[Source], insecure: bool, staging: &Path) -> Result<Vec<String>, String> {
    let images = staging.join("images");
    let mut lines = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let (path, chosen, shown) = match source {
            Source::Path { name, path } => (path.clone(), name.clone(), path.display().to_string()),
            Source::Pull { reference } => {
                let parsed = oci_pull::Reference::parse(reference)?;
                let dest = staging.join(format!("pull-{i}"));
                // The import below builds the image store.
                let options = oci_pull::Options { insecure, verbose: true, store: false };
                let pulled = oci_pull::pull(&parsed, &dest, &options).map_err(|e| format!("--pull {parsed}: {e}"))?;
                (dest, None, pulled.reference)
            }
        };
        let imported = ociimport::import(&path, &images, chosen.as_deref()).map_err(|e| match source {
            Source::Path { .. } => e.to_string(),
            Source::Pull { .. } => format!("{shown}: {}", e.kind),
        })?;
        lines.push(format!(
            "image '{}' from {shown} (manifest {}, {} layer{}) -> data disk /images/{}",
            imported.name,
            &imported.manifest.to_string()[..19],
            imported.layers.len(),
            if imported.layers.len() == 1 { "" } else { "s" },
            imported.name
        ));
    }
    mkdisk::add(disk, "images", &[images], false).map_err(|e| e.to_string())?;
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_arguments() {
        assert_eq!(parse_image_arg("x.tar").unwrap(), Source::Path { name: None, path: "x.tar".into() });
        assert_eq!(
            parse_image_arg("web=/tmp/a=b.tar").unwrap(),
            Source::Path { name: Some("web".into()), path: "/tmp/a=b.tar".into() }
        );
        // Not a valid name before '=': all of it is the path.
        assert_eq!(parse_image_arg("/tmp/A=b").unwrap(), Source::Path { name: None, path: "/tmp/A=b".into() });
        assert!(parse_image_arg("").is_err());
    }
}
