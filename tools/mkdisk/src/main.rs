fn main() { eprintln!("mkdisk: not yet implemented"); std::process::exit(1) }
