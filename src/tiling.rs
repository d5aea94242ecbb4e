//! Tiling: how each operator of the plan is cut into thread-block tiles on one device. This is
//! the kernel as the software would launch it (tile shape, split-K or split-KV, iterations per
//! tile, operand bytes), so it belongs to the workload, not to a timing model: both engines
//! time exactly these tiles, the fast engine in closed form and the detailed engine tile by
//! tile against its DRAM model.
//!
//! GEMMs use a 128 × 256 × 64 block tile, or for at most 64 rows a tile of the rows padded
//! to the tensor instruction's minimum × 128 × 64, and split the reduction when the output
//! grid leaves PEs idle. Attention is flash style, one tile per (sequence, KV head, query
//! block, KV chunk of 64 tokens), splitting the KV sequence until the device is full.
//! Element-wise kernels stream 32 KiB pieces. A row of GEMM tiles shares its A panel and a
//! column its B panel through L2, so every operand leaves DRAM once.

use crate::hw::System;
use crate::lower::{AttentionCore, Elementwise, Gemm};

/// Software-pipeline stages of every kernel (operand loads of `STAGES − 1` iterations in
/// flight while one computes).
pub const STAGES: u32 = 3;

/// A kernel in tile form.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tiling {
    /// Tiles in the grid.
    pub tiles: u64,
    /// Iterations per tile.
    pub iters: u64,
    /// DRAM bytes the whole kernel reads.
    pub read_bytes: f64,
    /// DRAM bytes the whole kernel writes.
    pub write_bytes: f64,
    /// Shared-memory bytes one tile-iteration stages (its operand panels).
    pub smem_bytes_per_iter: f64,
    /// FLOPs per tile-iteration, as issued (padding included).
    pub flops_per_iter: f64,
    /// Runs on the tensor units (else the vector units).
    pub tensor: bool,
    /// Tensor rate relative to 16-bit operands (2 for FP8).
    pub tensor_rate: f64,
    /// Useful FLOPs of the whole kernel (for energy).
    pub useful_flops: f64,
    /// Tiles one PE holds at once: every pipeline stage of each must fit in shared memory,
    /// up to the device's occupancy limit.
    pub occupancy: u32,
}

impl Tiling {
    /// DRAM bytes read and written.
    pub fn dram_bytes(&self) -> f64 {
        self.read_bytes + self.write_bytes
    }
}

/// The device figures tiling depends on.
#[derive(Clone, Copy, Debug)]
pub struct Tiler {
    /// Processing elements of the device.
    pub pes: f64,
    /// Most tiles a PE holds at once.
    pub max_occupancy: f64,
    /// Shared memory per PE, bytes.
    pub smem_bytes: f64,
    /// Rows of the smallest tensor instruction.
    pub mma_min_m: f64,
}

fn round_up(x: f64, to: f64) -> f64 {
    (x / to).ceil() * to
}

impl Tiler {
    /// The tiler of a validated system's device.
    pub fn of(system: &System) -> Tiler {
        let d = &system.device;
        Tiler {
            pes: system.pe_count().unwrap_or(1) as f64,
            max_occupancy: d.occupancy as f64,
            smem_bytes: d.smem_bytes,
            mma_min_m: d.mma_min_m as f64,
        }
    }

    /// Tiles a PE holds when one tile-iteration stages `stage_bytes`.
    pub fn occupancy(&self, stage_bytes: f64) -> f64 {
        (self.smem_bytes / (STAGES as f64 * stage_bytes.max(1.0)))
            .floor()
            .clamp(1.0, self.max_occupancy.max(1.0))
    }

    /// Tile a GEMM.
    pub fn gemm(&self, g: &Gemm) -> Tiling {
        let (tb_m, tb_n) = if g.m <= 64.0 {
            (round_up(g.m.max(1.0), self.mma_min_m).min(128.0), 128.0)
        } else {
            (128.0, 256.0)
        };
        let tb_k = 64.0;
        let stage = tb_m * tb_k * g.act_bytes + tb_k * tb_n * g.weight_bytes;
        let occupancy = self.occupancy(stage);
        let slots = self.pes * occupancy;
        let out_tiles = (g.m / tb_m).ceil() * (g.n / tb_n).ceil() * g.count;
        let k_iters = (g.k / tb_k).ceil().max(1.0);
        let split = if out_tiles < slots {
            (slots / out_tiles)
                .floor()
                .min((k_iters / STAGES as f64).floor())
                .max(1.0)
        } else {
            1.0
        };
        let a = g.m * g.k * g.act_bytes * g.count;
        let b = g.k * g.n * g.weight_bytes * g.count;
        let c = g.m * g.n * g.act_bytes * g.count;
        // Split-K writes fp32 partials of every split and reads them back to reduce.
        let write = if split > 1.0 {
            2.0 * g.m * g.n * 4.0 * split * g.count
        } else {
            c
        };
        Tiling {
            tiles: (out_tiles * split) as u64,
            iters: (k_iters / split).ceil() as u64,
            read_bytes: a + b,
            write_bytes: write,
            smem_bytes_per_iter: stage,
            flops_per_iter: 2.0 * tb_m * tb_n * tb_k,
            tensor: true,
            tensor_rate: g.tensor_rate,
            useful_flops: 2.0 * g.m * g.n * g.k * g.count,
            occupancy: occupancy as u32,
        }
    }

    /// Tile the attention core. Queries sharing a KV head are batched into the tensor
    /// instruction's rows, padded to its minimum; query blocks of one head re-read its KV
    /// from L2.
    pub fn attention(&self, a: &AttentionCore) -> Tiling {
        let kv_heads = a.kv_heads.max(1.0);
        let q_rows = (a.heads / kv_heads).max(1.0) * a.q_len;
        let tb_m = if q_rows <= 64.0 {
            round_up(q_rows, self.mma_min_m).min(128.0)
        } else {
            128.0
        };
        let q_blocks = (q_rows / tb_m).ceil();
        let chunk = 64.0;
        let chunks = (a.kv_len / chunk).ceil().max(1.0);
        let base_tiles = a.batch * kv_heads * q_blocks;
        let stage = chunk * (a.qk_dim + a.v_dim) * a.kv_bytes;
        let occupancy = self.occupancy(stage);
        let slots = self.pes * occupancy;
        let splits = if base_tiles < slots {
            (slots / base_tiles).floor().min(chunks).max(1.0)
        } else {
            1.0
        };
        let kv_read = a.batch * a.kv_stored * a.kv_token_bytes;
        let q_read = a.batch * a.q_len * a.heads * a.qk_dim * a.act_bytes;
        let out = a.batch * a.q_len * a.heads * a.v_dim * a.act_bytes;
        let new_kv = a.batch * a.q_len * a.kv_token_bytes;
        // Split-KV writes fp32 partial outputs with their max and sum, read back to combine.
        let partials = if splits > 1.0 {
            2.0 * a.batch * a.heads * a.q_len * (a.v_dim + 2.0) * 4.0 * splits
        } else {
            0.0
        };
        Tiling {
            tiles: (base_tiles * splits) as u64,
            iters: (chunks / splits).ceil() as u64,
            read_bytes: kv_read + q_read,
            write_bytes: out + new_kv + partials,
            smem_bytes_per_iter: stage,
            flops_per_iter: 2.0 * tb_m * chunk * (a.qk_dim + a.v_dim),
            tensor: true,
            tensor_rate: 1.0,
            useful_flops: 2.0 * a.batch * a.heads * a.q_len * a.kv_len * (a.qk_dim + a.v_dim),
            occupancy: occupancy as u32,
        }
    }

    /// Tile an element-wise kernel: 32 KiB pieces on the vector units, two thirds of the
    /// bytes read and one third written.
    pub fn elementwise(&self, e: &Elementwise) -> Tiling {
        let chunk = 32768.0;
        let pieces = (e.bytes / chunk).ceil().max(1.0);
        let occupancy = self.occupancy(chunk);
        let tiles = pieces.min(self.pes * occupancy);
        let iters = (pieces / tiles).ceil();
        Tiling {
            tiles: tiles as u64,
            iters: iters as u64,
            read_bytes: e.bytes * 2.0 / 3.0,
            write_bytes: e.bytes / 3.0,
            smem_bytes_per_iter: e.bytes / (tiles * iters),
            flops_per_iter: e.flops / (tiles * iters),
            tensor: false,
            tensor_rate: 1.0,
            useful_flops: e.flops,
            occupancy: occupancy as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiler() -> Tiler {
        Tiler {
            pes: 8.0,
            max_occupancy: 1.0,
            smem_bytes: 262144.0,
            mma_min_m: 16.0,
        }
    }

    fn gemm(m: f64, n: f64, k: f64) -> Gemm {
        Gemm {
            m,
            n,
            k,
            count: 1.0,
            act_bytes: 2.0,
            weight_bytes: 2.0,
            tensor_rate: 1.0,
            b_is_weight: true,
        }
    }

    #[test]
    fn large_gemm_uses_wide_tiles_without_split() {
        let t = tiler().gemm(&gemm(512.0, 4096.0, 1792.0));
        assert_eq!(t.tiles, 4 * 16);
        assert_eq!(t.iters, 28);
        assert_eq!(t.read_bytes, (512.0 * 1792.0 + 1792.0 * 4096.0) * 2.0);
        assert_eq!(t.write_bytes, 512.0 * 4096.0 * 2.0);
    }

    #[test]
    fn small_grid_splits_the_reduction_to_fill_the_device() {
        // 1 row, 256 columns: 2 output tiles on 8 PEs → split 4, 128/4 = 32 iterations.
        let t = tiler().gemm(&gemm(1.0, 256.0, 8192.0));
        assert_eq!(t.tiles, 8);
        assert_eq!(t.iters, 32);
        assert!(
            t.write_bytes > 256.0 * 2.0,
            "fp32 partials are written and read back"
        );
        // Padding: a 1-row GEMM still issues 16-row tensor instructions.
        assert_eq!(t.flops_per_iter, 2.0 * 16.0 * 128.0 * 64.0);
    }

    #[test]
    fn occupancy_is_what_shared_memory_fits() {
        let mut t = tiler();
        t.max_occupancy = 4.0;
        // 48 KiB per stage × 3 stages = 144 KiB: one tile in 256 KiB.
        assert_eq!(t.occupancy(49152.0), 1.0);
        // 16 KiB per stage: 5 would fit, the limit is 4.
        assert_eq!(t.occupancy(16384.0), 4.0);
    }
}
