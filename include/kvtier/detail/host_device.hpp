#pragma once
// KVTIER_HOST_DEVICE marks a function that runs on the host and, compiled by nvcc, on the device.
// The copy index math, the per-thread kernel bodies and the RoPE math use it so that the CUDA
// kernels and the CPU paths (and the CPU launch emulator that tests the kernels) share one source.
#if defined(__CUDACC__)
#define KVTIER_HOST_DEVICE __host__ __device__
#else
#define KVTIER_HOST_DEVICE
#endif
