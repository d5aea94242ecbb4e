//! Address mapping: physical byte address to (channel, rank, bank group, bank, row,
//! column).
//!
//! The mapping is written DRAMsim3-style as six two-letter fields, most significant
//! first: `ch` channel, `ra` rank, `bg` bank group, `ba` bank, `ro` row, `co` column
//! (in bursts). `rorabgbachco` therefore puts the burst-column in the lowest bits above
//! the transaction offset, then the channel, bank, bank group, rank and row. The low
//! `log2(transaction bytes)` bits are the offset within one burst and are ignored.
//!
//! Fields combine as a mixed-radix number, so any field size works (a stack of 3 or 7
//! layers, a 24 Gb die with 3 x 2^k rows); power-of-two fields decode with shifts and
//! masks, the others with a division. The most significant field takes what is left
//! of the address; an address at or beyond the capacity is rejected.

use super::error::DramError;
use super::spec::Organisation;

/// One decoded address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct DecodedAddr {
    /// Channel.
    pub channel: u32,
    /// Rank.
    pub rank: u32,
    /// Bank group.
    pub bankgroup: u32,
    /// Bank within the group.
    pub bank: u32,
    /// Row.
    pub row: u32,
    /// Column, in bursts.
    pub column: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Ch,
    Ra,
    Bg,
    Ba,
    Ro,
    Co,
}

/// How one field is extracted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Radix {
    /// Power of two: shift and mask; `above` is the shift of the next field.
    Bits { shift: u32, mask: u64, above: u32 },
    /// Any size: remainder and quotient.
    Div(u64),
}

/// Per decoded field (channel, rank, bank group, bank, row, column): the shift and
/// mask that extract it when every field is a power of two.
type ShiftMasks = [(u32, u64); 6];

/// The position of a field in [`ShiftMasks`].
fn slot(f: Field) -> usize {
    match f {
        Field::Ch => 0,
        Field::Ra => 1,
        Field::Bg => 2,
        Field::Ba => 3,
        Field::Ro => 4,
        Field::Co => 5,
    }
}

/// A validated address mapping for one organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressMapping {
    /// Fields least significant first (all but the top one).
    low: Vec<(Field, Radix)>,
    /// The most significant field and its size.
    top: (Field, u64),
    offset_bits: u32,
    capacity: u64,
    /// Shift and mask per field when every field is a power of two.
    shift_masks: Option<ShiftMasks>,
}

impl AddressMapping {
    /// Parses `text` for `org`.
    pub fn new(text: &str, org: &Organisation) -> Result<AddressMapping, DramError> {
        let err = |rule: String| {
            DramError::invalid("controller.address_mapping", format!("{text:?}"), rule)
        };
        let lower = text.to_ascii_lowercase();
        if lower.len() != 12 || !lower.is_ascii() {
            return Err(err(
                "must be six two-letter fields (ch, ra, bg, ba, ro, co), e.g. rorabgbachco".into(),
            ));
        }
        let mut fields = Vec::with_capacity(6);
        for i in 0..6 {
            let f = match &lower[2 * i..2 * i + 2] {
                "ch" => Field::Ch,
                "ra" => Field::Ra,
                "bg" => Field::Bg,
                "ba" => Field::Ba,
                "ro" => Field::Ro,
                "co" => Field::Co,
                other => {
                    return Err(err(format!(
                        "unknown field `{other}` (expected ch, ra, bg, ba, ro, co)"
                    )))
                }
            };
            if fields.contains(&f) {
                return Err(err(format!(
                    "field `{}` appears twice",
                    &lower[2 * i..2 * i + 2]
                )));
            }
            fields.push(f);
        }
        let bursts = u64::from((org.columns / org.burst_length.max(1)).max(1));
        let count = |f: Field| -> u64 {
            match f {
                Field::Ch => org.channels.into(),
                Field::Ra => org.ranks.into(),
                Field::Bg => org.bankgroups.into(),
                Field::Ba => org.banks_per_group.into(),
                Field::Ro => org.rows.into(),
                Field::Co => bursts,
            }
        };
        let tx = u64::from(org.bus_width_bits / 8) * u64::from(org.burst_length);
        if tx == 0 || !tx.is_power_of_two() {
            return Err(DramError::invalid(
                "organisation.bus_width_bits",
                org.bus_width_bits,
                "bus width x burst length must be a power-of-two number of bytes",
            ));
        }
        let offset_bits = tx.trailing_zeros();
        let mut low = Vec::with_capacity(5);
        let mut shift = offset_bits;
        let mut capacity: u128 = u128::from(tx);
        let mut all_pow2 = true;
        for &f in fields[1..].iter().rev() {
            let n = count(f).max(1);
            capacity *= u128::from(n);
            if all_pow2 && n.is_power_of_two() {
                let above = shift + n.trailing_zeros();
                low.push((
                    f,
                    Radix::Bits {
                        shift,
                        mask: n - 1,
                        above,
                    },
                ));
                shift = above;
            } else {
                all_pow2 = false;
                low.push((f, Radix::Div(n)));
            }
        }
        let top_count = count(fields[0]).max(1);
        capacity *= u128::from(top_count);
        if capacity > u128::from(u64::MAX) {
            return Err(err(
                "the organisation does not fit in a 64-bit address".into()
            ));
        }
        // Every field below the top one a power of two: each is a shift and a mask;
        // the top one is what is left (below the capacity, so in range).
        let shift_masks = all_pow2.then(|| {
            let mut sm: ShiftMasks = [(0, 0); 6];
            for &(f, radix) in &low {
                if let Radix::Bits { shift, mask, .. } = radix {
                    sm[slot(f)] = (shift, mask);
                }
            }
            sm[slot(fields[0])] = (shift, u64::MAX);
            sm
        });
        Ok(AddressMapping {
            low,
            top: (fields[0], top_count),
            offset_bits,
            capacity: capacity as u64,
            shift_masks,
        })
    }

    /// Capacity covered by the mapping, in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Bytes per transaction (the ignored low-order offset).
    pub fn transaction_bytes(&self) -> u64 {
        1 << self.offset_bits
    }

    /// Decodes `addr`, or `None` if it is beyond capacity.
    #[inline(always)]
    pub fn decode(&self, addr: u64) -> Option<DecodedAddr> {
        if addr >= self.capacity {
            return None;
        }
        if let Some(sm) = &self.shift_masks {
            let field = |i: usize| ((addr >> sm[i].0) & sm[i].1) as u32;
            return Some(DecodedAddr {
                channel: field(0),
                rank: field(1),
                bankgroup: field(2),
                bank: field(3),
                row: field(4),
                column: field(5),
            });
        }
        Some(self.decode_mixed_radix(addr))
    }

    /// [`decode`](Self::decode) for a mapping with a field whose size is not a power
    /// of two (kept out of line so that the bit-field decode inlines).
    #[inline(never)]
    fn decode_mixed_radix(&self, addr: u64) -> DecodedAddr {
        let mut d = DecodedAddr::default();
        let mut rest = addr >> self.offset_bits;
        for &(f, radix) in &self.low {
            match radix {
                Radix::Bits { shift, mask, above } => {
                    set(&mut d, f, ((addr >> shift) & mask) as u32);
                    rest = addr >> above;
                }
                Radix::Div(n) => {
                    set(&mut d, f, (rest % n) as u32);
                    rest /= n;
                }
            }
        }
        set(&mut d, self.top.0, rest as u32);
        d
    }

    /// The lowest address that decodes to `d` (offset 0); `None` if a field is out of range.
    pub fn encode(&self, d: &DecodedAddr) -> Option<u64> {
        let mut value: u64 = u64::from(get(d, self.top.0));
        if value >= self.top.1 {
            return None;
        }
        for &(f, radix) in self.low.iter().rev() {
            let n = match radix {
                Radix::Bits { mask, .. } => mask + 1,
                Radix::Div(n) => n,
            };
            let v = u64::from(get(d, f));
            if v >= n {
                return None;
            }
            value = value.checked_mul(n)?.checked_add(v)?;
        }
        value.checked_mul(1 << self.offset_bits)
    }
}

#[inline]
fn set(d: &mut DecodedAddr, f: Field, v: u32) {
    match f {
        Field::Ch => d.channel = v,
        Field::Ra => d.rank = v,
        Field::Bg => d.bankgroup = v,
        Field::Ba => d.bank = v,
        Field::Ro => d.row = v,
        Field::Co => d.column = v,
    }
}

fn get(d: &DecodedAddr, f: Field) -> u32 {
    match f {
        Field::Ch => d.channel,
        Field::Ra => d.rank,
        Field::Bg => d.bankgroup,
        Field::Ba => d.bank,
        Field::Ro => d.row,
        Field::Co => d.column,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn org() -> Organisation {
        Organisation {
            channels: 8,
            ranks: 2,
            bankgroups: 4,
            banks_per_group: 4,
            rows: 3 * 1024,
            columns: 64,
            bus_width_bits: 128,
            burst_length: 4,
            transfers_per_clock: 2,
            ports: 1,
        }
    }

    #[test]
    fn round_trip_and_capacity() {
        let m = AddressMapping::new("rorabgbachco", &org()).unwrap();
        assert_eq!(m.transaction_bytes(), 64);
        assert_eq!(m.capacity(), 8 * 2 * 16 * 3 * 1024 * 16 * 64);
        let d = m.decode(0x1234_5640).unwrap();
        assert_eq!(m.encode(&d).unwrap(), 0x1234_5640);
        // Column in the lowest bits: consecutive bursts stay in one row.
        let a = m.decode(0).unwrap();
        let b = m.decode(64).unwrap();
        assert_eq!((a.row, a.channel, b.column), (b.row, b.channel, 1));
        assert!(m.decode(m.capacity()).is_none());
        assert!(m.decode(m.capacity() - 1).is_some());
    }

    #[test]
    fn shift_and_mask_decode_matches_field_by_field_decode() {
        let mut pow2 = org();
        pow2.rows = 4096;
        // A non-power-of-two top field (3 x 1024 rows) still decodes by shifts.
        for (text, o) in [
            ("rorabgbachco", org()),
            ("rorabacobgch", org()),
            ("chrorabgbaco", pow2),
        ] {
            let fast = AddressMapping::new(text, &o).unwrap();
            assert!(fast.shift_masks.is_some(), "{text}");
            let general = AddressMapping {
                shift_masks: None,
                ..fast.clone()
            };
            let mut a: u64 = 0x9E37_79B9_7F4A_7C15;
            for _ in 0..10_000 {
                a = a
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let addr = a % fast.capacity();
                assert_eq!(fast.decode(addr), general.decode(addr), "{text} {addr:#x}");
            }
        }
    }

    #[test]
    fn rejects_bad_strings() {
        assert!(AddressMapping::new("rorabgbach", &org()).is_err());
        assert!(AddressMapping::new("rorabgbachch", &org()).is_err());
        assert!(AddressMapping::new("xxrabgbachco", &org()).is_err());
    }

    #[test]
    fn mixed_radix_round_trips() {
        let mut o = org();
        o.bankgroups = 3;
        let m = AddressMapping::new("chrorabgbaco", &o).unwrap();
        assert_eq!(m.capacity(), 8 * 3 * 1024 * 2 * 3 * 4 * 16 * 64);
        let mut seen = std::collections::HashSet::new();
        for i in 0..5000u64 {
            let a = i * 64 * 7 % m.capacity();
            let d = m.decode(a).unwrap();
            assert!(d.bankgroup < 3 && d.row < 3 * 1024 && d.channel < 8);
            assert_eq!(m.encode(&d).unwrap(), a);
            seen.insert(d.bankgroup);
        }
        assert_eq!(seen.len(), 3);
    }
}
