//! The NS-3 reference panels (ASTRA-sim with the NS-3 backend) as collective cases, so the
//! CLI, the tests and `validate` read them the same way. Conventions and per-case network
//! parameters are documented in `validation/references/README.md`.

use super::{Algorithm, CollectiveCase, Op};
use crate::error::{Error, Result};
use crate::network::NetworkSpec;
use std::path::Path;

/// One row of a panel.
#[derive(Clone, Debug)]
pub struct Ns3Point {
    /// Panel name (file stem with its directory, e.g. `switch/all_reduce_rabenseifner`).
    pub panel: String,
    /// The case to time.
    pub case: CollectiveCase,
    /// The archived prediction of the paper's model, ns.
    pub paper_model_ns: f64,
    /// NS-3's time, ns (`None` where no run was retained).
    pub ns3_ns: Option<f64>,
    /// Case label (`s0`…`s5`, `t0`…`t2`) and topology size, for reports.
    pub label: String,
}

/// The network of a reference case.
pub fn case_network(case_id: &str, a: usize, b: usize, torus: bool) -> Result<NetworkSpec> {
    let text = if torus {
        let (bw, lat) = match case_id {
            "t2" => (32, 32),
            "t0" => (128, 128),
            "t1" => (512, 128),
            _ => return Err(unknown_case(case_id)),
        };
        format!("torus({a}x{b},{bw}GB/s,{lat}ns)")
    } else {
        let (l1, l2) = match case_id {
            "s5" => ((32, 32), None),
            "s0" => ((128, 128), None),
            "s2" => ((512, 128), None),
            "s1" => ((256, 128), Some((32, 512))),
            "s3" => ((512, 128), Some((64, 512))),
            "s4" => ((512, 256), Some((128, 512))),
            _ => return Err(unknown_case(case_id)),
        };
        let mut t = format!("switch({a},{}GB/s,{}ns)", l1.0, l1.1);
        if b > 1 {
            let (bw, lat) = l2.unwrap_or((l1.0, l1.1));
            t.push_str(&format!("/switch({b},{bw}GB/s,{lat}ns)"));
        }
        t
    };
    NetworkSpec::parse(&text, "reference network")
}

fn unknown_case(id: &str) -> Error {
    Error::Unknown {
        kind: "NS-3 reference case",
        name: id.to_string(),
        known: "s0..s5, t0..t2".into(),
    }
}

/// Read one panel CSV (the 9-column format of the artifact).
pub fn read_panel(path: &Path) -> Result<Vec<Ns3Point>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let torus = text.starts_with("num_nodes_x");
    let panel = format!(
        "{}/{}",
        if torus { "torus" } else { "switch" },
        path.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("panel")
            .trim_end_matches("_test")
    );
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |m: &str| Error::Parse {
            origin: format!("{}:{}", path.display(), i + 1),
            message: format!("{m}: '{line}'"),
        };
        let c: Vec<&str> = line.split(',').collect();
        if c.len() < 8 {
            return Err(bad("expected 9 columns"));
        }
        let num = |s: &str| s.trim().parse::<f64>().map_err(|_| bad("not a number"));
        let a = num(c[0])? as usize;
        let b = num(c[1])? as usize;
        let (op, algorithm, packet) = match c[3] {
            "all_gather_halving_doubling" => (Op::AllGather, Algorithm::HalvingDoubling, None),
            "all_reduce_rabenseifner" => (Op::AllReduce, Algorithm::Rabenseifner, None),
            "all_to_all" if !torus => (Op::AllToAll, Algorithm::Direct, None),
            "all_to_all" => (Op::AllToAll, Algorithm::Direct, Some((1024, 36))),
            "all_reduce" => (Op::AllReduce, Algorithm::Ring, Some((1024, 36))),
            "all_gather_rs_ag_ag_3stage" => (Op::AllGather, Algorithm::TwoDRing, None),
            other => return Err(bad(&format!("unknown collective_type '{other}'"))),
        };
        let network = case_network(c[2], a, b, torus)?;
        let ns3 = c.get(7).and_then(|s| s.trim().parse::<f64>().ok());
        out.push(Ns3Point {
            panel: panel.clone(),
            case: CollectiveCase {
                network,
                op,
                algorithm: Some(algorithm),
                bytes: num(c[5])?,
                packet,
                groups: None,
            },
            paper_model_ns: num(c[6])?,
            ns3_ns: ns3,
            label: format!("{} {}x{}", c[2], a, b),
        });
    }
    Ok(out)
}
