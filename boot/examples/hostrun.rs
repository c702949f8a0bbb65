//! Runs `sh -c SCRIPT` in an image's root on the host as the acceptance tests do:
//! `cargo run --example hostrun -- IMAGE SCRIPT [DATA-DIR]`.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let out = cyrius::realdisk::host_run(&a[1], &a[2], a.get(3).map(std::path::Path::new));
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    println!("[status {:?}]", out.status.code());
}
