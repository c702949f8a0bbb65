//! `oci-pull [--insecure] [--quiet] HOST[:PORT]/NAME[:TAG|@DIGEST] DEST-DIR`

use std::path::PathBuf;
use std::process::ExitCode;

use oci_pull::{pull, Options, Reference};

const USAGE: &str = "usage: oci-pull [--insecure] [--quiet] [HOST[:PORT]/]NAME[:TAG|@sha256:DIGEST] DEST-DIR
  Pulls the linux/amd64 image from a registry (Docker Hub when no host is given) into a new
  OCI image layout DEST-DIR, with its image store (DEST-DIR/erofs, one EROFS image per layer).
  Loopback registries use plain HTTP; --insecure allows it for others.";

fn main() -> ExitCode {
    let mut options = Options { insecure: false, verbose: true, store: true };
    let mut positional = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--insecure" => options.insecure = true,
            "-q" | "--quiet" => options.verbose = false,
            a if a.starts_with('-') => {
                eprintln!("oci-pull: unknown option '{a}'\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => positional.push(arg),
        }
    }
    let [reference, dest] = positional.as_slice() else {
        eprintln!("oci-pull: expected a reference and a destination directory\n{USAGE}");
        return ExitCode::from(2);
    };
    let reference = match Reference::parse(reference) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("oci-pull: {e}");
            return ExitCode::from(2);
        }
    };
    match pull(&reference, &PathBuf::from(dest), &options) {
        Ok(p) => {
            println!("oci-pull: {} -> {} (manifest {}, {} layers)", p.reference, p.dir.display(), p.manifest, p.layers.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oci-pull: {reference}: {e}");
            ExitCode::FAILURE
        }
    }
}
