//! `cyrius-runtime`: runc's command line over Cyrius microVMs (see lib.rs).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(cyrius_runtime::main(&args));
}
