//! The benchmark harness in quick mode (one boot per system, small loops), so it
//! cannot rot: every row must hold a number or an explicit n/a for both systems.
//! The Linux guest is built from Debian's packages (`scripts/linux-guest`); a machine
//! that cannot fetch them fails this test, saying why.

use cyrius::bench::{self, Cell, Options};

#[test]
fn every_workload_has_a_number_or_na() {
    if let Err(why) = bench::linux::prepare() {
        panic!("the Linux guest cannot be built: {why}");
    }
    let options = Options { out: std::env::temp_dir().join(format!("cyrius-bench-{}", std::process::id())), ..Options::quick() };
    let report = bench::run(&options, &mut |line| eprintln!("{line}")).expect("the harness runs");
    println!("{}", report.table());
    assert!(report.failures().is_empty(), "failed measurements: {:#?}", report.failures());
    for row in &report.rows {
        for cell in [&row.cyrius, &row.linux] {
            let ok = match cell {
                Cell::Samples(v) => v.len() == 1 && v.iter().all(|x| x.is_finite() && *x > 0.0),
                Cell::NotApplicable(why) => !why.is_empty(),
                Cell::Failed(_) => false,
            };
            assert!(ok, "{}: {cell:?}", row.workload);
        }
    }
    assert!(matches!(report.rows[0].linux, Cell::Samples(_)), "Linux boots: {:?}", report.rows[0]);
    report.write_files(&options.out).expect("write bench.csv and bench.svg");
    let csv = std::fs::read_to_string(options.out.join("bench.csv")).expect("bench.csv");
    assert_eq!(csv.lines().count(), 1 + 2 * report.rows.len());
    let _ = std::fs::remove_dir_all(&options.out);
}
