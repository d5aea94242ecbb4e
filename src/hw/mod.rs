//! The hardware description: a system is `devices` identical devices (a compute die, its
//! memory, optional vertical links, power and thermal figures) joined by a network hierarchy.
//! Systems are TOML files or presets embedded in the binary; they are validated once, at load,
//! with errors that name the field. Derived quantities (PE count from area, the bandwidth
//! chain, thermal resistance) are pure functions of the description, so a design-space search
//! can change a few fields of a cheap clone without re-parsing anything.

pub mod device;
pub mod memory;
pub mod power;
pub mod vertical;

pub use device::{AreaBudget, Device, Precision};
pub use memory::{BandwidthChain, HbmStacks, Memory, RowTiming, Stack3d};
pub use power::Power;
pub use vertical::{BondKind, VerticalLinks};

use crate::error::{invalid, Error, Result};
use crate::network::NetworkSpec;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A whole system as written in a TOML file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    name: String,
    #[serde(default)]
    description: String,
    network: String,
    device: Device,
    memory: Memory,
    #[serde(default)]
    vertical: Option<VerticalLinks>,
    power: Power,
}

/// A validated system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct System {
    /// Name (the preset name or the file's `name`).
    pub name: String,
    /// One line on what it is and where its figures come from.
    pub description: String,
    /// The network; its device count is the system's.
    pub network: NetworkSpec,
    /// The compute die.
    pub device: Device,
    /// Device memory.
    pub memory: Memory,
    /// Vertical links (3D stacks only).
    pub vertical: Option<VerticalLinks>,
    /// Power and thermal figures.
    pub power: Power,
}

/// Built-in systems: (name, TOML text).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "stacked-3d-x8",
        include_str!("../../presets/systems/stacked-3d-x8.toml"),
    ),
    (
        "stacked-3d-x256",
        include_str!("../../presets/systems/stacked-3d-x256.toml"),
    ),
    ("h100x8", include_str!("../../presets/systems/h100x8.toml")),
    ("h200x8", include_str!("../../presets/systems/h200x8.toml")),
    ("b200x8", include_str!("../../presets/systems/b200x8.toml")),
    (
        "mi325x4",
        include_str!("../../presets/systems/mi325x4.toml"),
    ),
];

impl System {
    /// A preset by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<System> {
        if let Some((_, text)) = PRESETS.iter().find(|(n, _)| *n == name_or_path) {
            return System::from_toml(text, &format!("preset {name_or_path}"));
        }
        let path = Path::new(name_or_path);
        if name_or_path.ends_with(".toml") || path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
            return System::from_toml(&text, name_or_path);
        }
        Err(Error::Unknown {
            kind: "system",
            name: name_or_path.to_string(),
            known: format!(
                "{} (or a path to a .toml file)",
                PRESETS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    /// Parse and validate TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<System> {
        let raw: RawSystem = toml::from_str(text).map_err(|e| Error::Parse {
            origin: origin.to_string(),
            message: e.to_string().replace('\n', " ").trim().to_string(),
        })?;
        let network = NetworkSpec::parse(&raw.network, "system.network")?;
        let sys = System {
            name: raw.name,
            description: raw.description,
            network,
            device: raw.device,
            memory: raw.memory,
            vertical: raw.vertical,
            power: raw.power,
        };
        sys.validate()?;
        Ok(sys)
    }

    /// Check every part and the cross-part rules.
    pub fn validate(&self) -> Result<()> {
        self.network.validate("system.network")?;
        self.device.validate("system.device")?;
        self.memory.validate("system.memory")?;
        if let Some(v) = &self.vertical {
            v.validate("system.vertical")?;
        }
        self.power.validate("system.power")?;
        if self.pe_count().is_none() {
            return Err(invalid(
                "system.device.area.logic_die_mm2",
                self.device.area.as_ref().map_or(0.0, |a| a.logic_die_mm2),
                format!(
                    "leaves no room for a single PE after the memory interface ({:.1} mm²) and network; enlarge the die or connect fewer layers",
                    self.memory.interface_area_mm2(self.vertical.as_ref())
                ),
            ));
        }
        Ok(())
    }

    /// Number of devices.
    pub fn devices(&self) -> usize {
        self.network.devices()
    }

    /// Per-device network injection bandwidth (innermost level's links × links per device), TB/s.
    pub fn injection_tbps(&self) -> f64 {
        let Some(l) = self.network.levels.first() else {
            return 0.0;
        };
        let links = match l.kind {
            crate::network::LevelKind::Switch => 1.0,
            crate::network::LevelKind::Ring => 2.0,
            crate::network::LevelKind::Mesh | crate::network::LevelKind::Torus => 4.0,
            crate::network::LevelKind::AllToAll => (l.size().max(2) - 1) as f64,
        };
        l.link_bandwidth.0 * links / 1e12
    }

    /// PE count: given, or derived from the area budget. `None` if nothing fits.
    pub fn pe_count(&self) -> Option<u32> {
        self.device.pe_count_with(
            self.memory.interface_area_mm2(self.vertical.as_ref()),
            self.injection_tbps(),
        )
    }

    /// The bandwidth chain of one device.
    pub fn bandwidth_chain(&self) -> BandwidthChain {
        let pes = self.pe_count().unwrap_or(1);
        self.memory.bandwidth_chain(
            self.vertical.as_ref(),
            pes,
            self.device.smem_bytes,
            self.device.smem_bytes_per_cycle * self.device.clock_hz,
            self.device.memory_max_utilization,
        )
    }

    /// Peak dense tensor throughput of one device at `precision`, FLOP/s.
    pub fn peak_tensor_flops(&self, precision: Precision) -> f64 {
        self.pe_count().unwrap_or(1) as f64
            * self.device.clock_hz
            * self.device.tensor_flops_per_cycle
            * precision.tensor_rate()
    }

    /// Thermal resistance of one device, °C/W.
    pub fn thermal_resistance(&self) -> f64 {
        self.power.thermal_resistance(self.memory.stacked_layers())
    }

    /// Replace the network (e.g. from `--network`); the device count follows it.
    pub fn with_network(mut self, network: NetworkSpec) -> System {
        self.network = network;
        self
    }

    /// Change the device count (`--devices`): the innermost level is resized if there is one
    /// level; otherwise the outermost level is resized and must divide evenly.
    pub fn with_devices(mut self, devices: usize) -> Result<System> {
        if devices == 0 {
            return Err(invalid("--devices", 0, "need at least one device"));
        }
        let inner: usize = self
            .network
            .levels
            .iter()
            .rev()
            .skip(1)
            .map(|l| l.size())
            .product();
        if !devices.is_multiple_of(inner) {
            return Err(invalid(
                "--devices",
                devices,
                format!("must be a multiple of {inner}, the devices under the outermost network level; or give --network"),
            ));
        }
        let Some(outer) = self.network.levels.last_mut() else {
            return Err(invalid("system.network", "empty", "needs a level"));
        };
        let n = devices / inner;
        if matches!(
            outer.kind,
            crate::network::LevelKind::Mesh | crate::network::LevelKind::Torus
        ) {
            let r = (1..=n)
                .rev()
                .find(|r| n.is_multiple_of(*r) && r * r <= n)
                .unwrap_or(1);
            outer.shape = (n / r, r);
        } else {
            outer.shape = (n, 1);
        }
        Ok(self)
    }
}

/// Names of the built-in systems.
pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}
