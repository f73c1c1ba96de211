/* test/esp32/qemu.node.test.ts: bare-metal start for the emulated ESP32-C3: the ROM loads our segments into SRAM and jumps here. */
    .section .text.entry
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, _stack_top
    la tp, __tls_base
    la t0, _bss_start
    la t1, _bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call bm_main
3:  j 3b
