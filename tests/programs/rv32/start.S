/* Entry point for RV32 test programs run as Linux user-mode ELF executables
   (qemu-riscv32, or the project's own loader). The kernel/loader leaves
   argc, argv[], NULL, envp[], NULL, auxv[] at sp. */
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    mv      a0, sp              /* a0 = initial stack pointer (points at argc) */
    andi    sp, sp, -16
    call    __isa_rv32_start    /* never returns */
1:  j       1b
    .size _start, . - _start
