/* version.c -- `rnnlab version`: what this binary is built with. */
#include <stdio.h>

#include "cli.h"
#include "core/gemm.h"
#include "core/rnnlab_build.h"

static const char usage[] =
    "usage: rnnlab version\n"
    "\n"
    "Prints the rnnlab version, the plugin ABI it loads, the matrix-multiply backend\n"
    "(library, version, the instruction set it dispatches to) and its small-batch\n"
    "kernel, the instruction sets of the CPU and of rnnlab's own kernels (capped by\n"
    "RNNLAB_ISA=scalar|avx2|avx512), and the backend's thread count.\n"
    "\n"
    "example:\n"
    "  rnnlab version\n";

static int run(int argc, char **argv) {
    const cli_option opts[] = {CLI_OPT_END};
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 0, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    printf("rnnlab %s\nplugin ABI %d.%d\ngemm backend: %s\ngemm library: %s (isa %s)\n"
           "gemm small-batch kernel: %s\ncpu isa: %s\nkernel isa: %s\n"
           "gemm threads: %zu (training uses [train] threads)\n",
           RNNLAB_VERSION, RNNLAB_ABI_MAJOR, RNNLAB_ABI_MINOR, gemm_backend_name(),
           gemm_library_version(), gemm_library_isa(), gemm_small_kernel_name(), gemm_cpu_isa(),
           gemm_kernel_isa(), gemm_threads());
    return 0;
}

const cli_command cli_cmd_version = {
    "version", "print the version, ABI and matrix-multiply backend", usage, run};
