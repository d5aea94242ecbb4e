//! The one integration-test binary (one module per topic).
mod common;
mod ns3_fast;
mod h100_kernels;
mod vllm_b200;
mod ns3_detailed;
mod cli_errors;
