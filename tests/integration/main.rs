//! The one integration-test binary (one module per topic).
mod cli_errors;
mod common;
mod detailed_scenarios;
mod dram_bandwidth;
mod dram_cli;
mod dram_timing;
mod h100_kernels;
mod net_detailed;
mod ns3_detailed;
mod ns3_fast;
mod validate;
mod vllm_b200;
